/**
 * `npm run grade -- --exam <id> [--regrade]`: queues the whole-exam grading
 * (or regrading) job that POST /api/exams/:id/grading queues, shows a
 * progress bar until it ends, prints what changed, and exits 1 when some
 * attempt could not be graded. Worker processes do the work; this only
 * queues and watches (Ctrl-C stops watching, not the job). Like the API and
 * the workers, it opens its connections and takes its services from the
 * composition root (src/composition.ts).
 */
import { parseArgs } from 'node:util';
import { type Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { buildServices, drainServices, type Logger, type Services } from '../composition.js';
import { ConfigError, loadConfig, mongoUri, type Config } from '../config.js';
import { findJob, startExamGrading, type JobView, type RunSummary } from '../grading/grading-jobs.js';
import { createModels } from '../models.js';
import { connectMongo } from '../plugins/mongo.js';
import { closeQueues, createQueues, type QueuePayloads, type Queues } from '../queues/queues.js';

const USAGE = 'usage: npm run grade -- --exam <examId> [--regrade]';

class UsageError extends Error {
  override name = 'UsageError';
}

function options(argv: string[]): { examId: string; mode: 'all' | 'regrade' } {
  try {
    const { values } = parseArgs({ args: argv, options: { exam: { type: 'string' }, regrade: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) throw new UsageError(USAGE);
    if (!values.exam) throw new UsageError(`--exam is required\n${USAGE}`);
    return { examId: values.exam, mode: values.regrade ? 'regrade' : 'all' };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
}

/** One line of progress: a bar on a terminal (redrawn in place), a line per tenth otherwise. */
export class ProgressBar {
  private lastTenth = -1;
  private readonly started = Date.now();
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly width = 30,
  ) {}

  render(done: number, total: number): void {
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(share * this.width);
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${done}/${total} attempts  ${seconds} s`;
    if (this.out.isTTY) {
      this.out.write(`\r${line}`);
    } else {
      const tenth = Math.floor(share * 10);
      if (tenth !== this.lastTenth) {
        this.lastTenth = tenth;
        this.out.write(`${line}\n`);
      }
    }
  }

  end(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

function summaryLines(view: JobView): string[] {
  const s = view.result as RunSummary | null;
  if (!s || typeof s !== 'object' || !('graded' in s)) return [];
  const lines = [`graded ${s.graded} of ${s.total}: ${s.changed} changed (${s.firstGraded} graded for the first time), ${s.unchanged} unchanged, ${s.pendingManual} waiting for a person`];
  if (s.skipped) lines.push(`skipped ${s.skipped} (not submitted)`);
  if (s.delta) {
    const by = Object.entries(s.byDelta)
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([d, n]) => `${d}: ${n}`)
      .join(', ');
    lines.push(`score changes: ${s.delta.count} attempts, from ${s.delta.min} to ${s.delta.max}, mean ${s.delta.mean} (${by})`);
  }
  return lines;
}

/** What the services have to say goes to stderr, beside the progress bar; nothing routine. */
const log: Logger = {
  warn: (obj, msg) => console.error(`grade: ${msg ?? ''}`, obj),
  error: (obj, msg) => console.error(`grade: ${msg ?? ''}`, obj),
  info: () => {},
};

async function run(config: Config, examId: string, mode: 'all' | 'regrade'): Promise<number> {
  const mongo = await connectMongo(mongoUri(config));
  // Both fail at once when Redis is away, so the command says so instead of waiting.
  const connection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  const appRedis = new Redis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  connection.on('error', () => {});
  appRedis.on('error', () => {});
  let events: QueueEvents | null = null;
  let queues: Queues | null = null;
  let services: Services | null = null;
  try {
    await Promise.all([connection.connect(), appRedis.connect()]);
    queues = createQueues(connection, config.QUEUE_PREFIX);
    // A command only queues: it never pushes to the sector database and serves no socket.
    services = buildServices(config, { models: createModels(mongo), redis: appRedis, queues, presence: { redis: connection }, sector: null }, { role: 'command', log });
    const exam = await services.exams.byId(examId);
    if (!exam) {
      console.error(`grade: no exam ${examId}`);
      return 1;
    }
    events = new QueueEvents('bulk', { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX });
    await events.waitUntilReady();
    if ((await queues.bulk.getWorkers()).length === 0) {
      console.error('grade: no worker is running; the job waits until one starts (node dist/workers/index.js)');
    }
    const jobId = await startExamGrading(queues, examId, mode, 'cli');
    console.error(`${mode === 'regrade' ? 'regrading' : 'grading'} "${exam.title}" (${examId}): job ${jobId}`);
    const view = await follow(queues.bulk, events, jobId);
    for (const line of summaryLines(view)) console.log(line);
    if (view.state !== 'completed') {
      console.error(`grade: the job ${view.state === 'failed' ? 'failed' : `ended ${view.state}`}`);
      for (const f of view.failed.slice(0, 20)) console.error(`  ${f.attemptId ? `attempt ${f.attemptId}: ` : ''}${f.reason}`);
      if (view.failed.length > 20) console.error(`  … and ${view.failed.length - 20} more (GET /api/jobs/${jobId})`);
      return 1;
    }
    return 0;
  } finally {
    if (services) await drainServices(services);
    await events?.close();
    if (queues) await closeQueues(queues);
    appRedis.disconnect();
    connection.disconnect();
    await mongo.close();
  }
}

/** Redraws the bar on every progress event until the job completes or fails. */
async function follow(bulk: Queue<QueuePayloads['bulk']>, events: QueueEvents, jobId: string): Promise<JobView> {
  const bar = new ProgressBar(process.stderr);
  const read = async () => {
    const found = await findJob({ bulk }, jobId);
    if (!found) throw new Error(`job ${jobId} disappeared from the queue`);
    return found.view;
  };
  let over = false;
  await new Promise<void>((resolve, reject) => {
    const check = async () => {
      try {
        const view = await read();
        if (over) return;
        bar.render(view.progress.done, view.progress.total);
        if (view.state === 'completed' || view.state === 'failed') finish();
      } catch (err) {
        over = true;
        clearInterval(timer);
        reject(err);
      }
    };
    const onProgress = ({ jobId: id }: { jobId: string }) => {
      if (id === jobId) void check();
    };
    const onEnd = ({ jobId: id }: { jobId: string }) => {
      if (id === jobId) finish();
    };
    // Events carry no guarantee of arrival (a Redis reconnect drops them): look every few seconds too.
    const timer = setInterval(() => void check(), 2000);
    const finish = () => {
      over = true;
      clearInterval(timer);
      events.off('progress', onProgress);
      events.off('completed', onEnd);
      events.off('failed', onEnd);
      resolve();
    };
    events.on('progress', onProgress);
    events.on('completed', onEnd);
    events.on('failed', onEnd);
    void check();
  });
  const view = await read();
  bar.render(view.progress.done, view.progress.total);
  bar.end();
  return view;
}

async function main() {
  const { examId, mode } = options(process.argv.slice(2));
  const config = loadConfig();
  process.exitCode = await run(config, examId, mode);
}

main().catch((err) => {
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exitCode = 2;
    return;
  }
  console.error(err instanceof ConfigError ? err.message : `grade: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
