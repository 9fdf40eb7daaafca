import type { Job } from 'bullmq';
import type { QueueName, QueuePayloads } from '../src/queues/queues.js';
import { autosubmitRegistration } from './autosubmit.js';
import { bulkRegistration } from './bulk.js';
import { gradingRegistration } from './grading.js';
import { sectorRegistration } from './sector.js';
import type { WorkerContext } from './context.js';

/** A processor for queue N, built once per worker process from the shared context. */
export type ProcessorFactory<N extends QueueName> = (ctx: WorkerContext) => (job: Job<QueuePayloads[N]>) => Promise<unknown>;

export interface Registration<N extends QueueName> {
  queue: N;
  factory: ProcessorFactory<N>;
  /** Jobs processed at once by one worker process. @defaultValue 1 */
  concurrency?: number;
}

/**
 * The processors this build runs. Each queue's processor lives in its own file
 * beside this one and calls the domain services in src/.
 */
/**
 * Widens a registration for the list. Sound because a BullMQ Worker only
 * ever hands a processor jobs of its own queue, whose payload is QueuePayloads[N].
 */
export function registration<N extends QueueName>(reg: Registration<N>): Registration<QueueName> {
  return reg as unknown as Registration<QueueName>;
}

export const REGISTRATIONS: Registration<QueueName>[] = [
  registration(autosubmitRegistration),
  registration(bulkRegistration),
  registration(gradingRegistration),
  registration(sectorRegistration),
];
