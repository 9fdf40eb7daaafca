/**
 * The composition root: every domain service of a process, built once from
 * the configuration and the process's connections. The API (src/app.ts),
 * the worker process (workers/context.ts) and the CLI commands that need
 * services all call `buildServices`; nothing else constructs a service, so
 * the processes cannot wire the same service differently.
 *
 * What differs between processes is said here, by `role`, and nowhere else:
 * - the API analyses small exams inline and queues large ones; a worker is
 *   the bulk queue's consumer and always computes;
 * - the API only counts sector pushes (it never connects to the sector
 *   database); a worker pushes through its sector store;
 * - the API serves joins, so the live path reads exams through the cached
 *   exam source (forms included); a worker reads exams by id only.
 * A CLI command (`command`, src/cli/grade.ts) is wired like a worker; it
 * passes no sector store, as it only queues jobs.
 *
 * No Fastify in here: the services are plain classes.
 */
import type { Redis } from 'ioredis';
import { Histogram, type Registry } from 'prom-client';
import { AnalysisService } from './analysis/analysis-service.js';
import { AttemptLogStore } from './attempts/attempt-log.js';
import { AttemptService } from './attempts/attempt-service.js';
import type { Attempt } from './attempts/attempt-model.js';
import { DeadlineRecovery } from './attempts/deadline-recovery.js';
import { liveAttemptSource } from './attempts/attempt-source.js';
import { BlueprintService } from './assembly/blueprint-service.js';
import { AuditService } from './audit/audit-service.js';
import { ChainHeads } from './audit/chain-heads.js';
import { AuthService } from './auth/auth-service.js';
import { auditLoginEvent } from './auth/login-audit.js';
import { TokenService } from './auth/tokens.js';
import { BankAccess } from './bank/bank-access.js';
import { createBank, createSearchIndex, type Bank } from './bank/index.js';
import type { BankReader } from './bank/item-types.js';
import type { SearchIndex } from './bank/search-index.js';
import type { StimulusService } from './bank/stimulus-service.js';
import { currentRevisions, pinnedPassages } from './bank/stimulus-revisions.js';
import type { Config } from './config.js';
import { ExamService } from './exams/exam-service.js';
import { KeyGuard } from './exams/key-guard.js';
import { GradingService, type GradableAttempt } from './grading/grading-service.js';
import { nativeOf } from './infra/store.js';
import { InteropService } from './interop/interop-service.js';
import { examSource, modelExamSource } from './live/exam-source.js';
import { LiveService } from './live/live-service.js';
import { LivePresence } from './live/presence.js';
import { MediaService } from './media/media-service.js';
import type { Models } from './models.js';
import { Access } from './orgs/access.js';
import { OrgService } from './orgs/org-service.js';
import type { Queues } from './queues/queues.js';
import { ResultsService } from './results/results-service.js';
import { SectorPushService, type SectorStore } from './sector/sector-service.js';
import { UserService } from './users/user-service.js';

/** Which process the services are for; see the module comment for what differs. */
export type ProcessRole = 'api' | 'worker' | 'command';

export interface Logger {
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
}

/** The connections a process opens before it builds its services; the process closes them. */
export interface Connections {
  models: Models;
  /** The engine's Redis client: every key it writes carries REDIS_KEY_PREFIX. */
  redis: Redis;
  /** BullMQ producers. */
  queues: Queues;
  /**
   * Redis for live presence (its keys are prefixed by hand): commands, and in
   * the API a subscriber for hand-ins and revocations published by other processes.
   */
  presence: { redis: Redis; subscriber?: Redis };
  /** The sector database; only a worker pushes to it (the API passes null). */
  sector: SectorStore | null;
}

export interface BuildOptions {
  role: ProcessRole;
  log: Logger;
  /** Where the live path's group-commit histograms go (the API's /metrics); none in other processes. */
  metrics?: Registry;
}

/** Every domain service of one process. */
export interface Services {
  tokens: TokenService;
  orgs: OrgService;
  access: Access;
  users: UserService;
  audit: AuditService;
  auth: AuthService;
  /** The bank's search index (Redis or database queries, by BANK_SEARCH); the API starts it (reconcile, rebuild) and closes it. */
  searchIndex: SearchIndex;
  /** The question bank's parts: access, items, search, pools (what assembly and grading read), stimuli. */
  bank: Bank;
  stimuli: StimulusService;
  /** Refuses key changes of items that unreleased exams hold (PATCH /api/items/:id). */
  keyGuard: KeyGuard;
  interop: InteropService;
  blueprints: BlueprintService;
  exams: ExamService;
  /** The live exam: joins, hand-ins, extensions, the monitor. */
  live: LiveService;
  /**
   * Attempts outside a socket: hand-ins (at the deadline, and the final write
   * of every hand-in), deadline jobs, the attempt log, snapshots. The
   * auto-submit worker and the live service's sessions use this one instance.
   */
  attempts: AttemptService;
  /** Re-queues the deadline jobs of attempts in progress when Redis has lost them; the worker process starts it. */
  deadlineRecovery: DeadlineRecovery;
  /** The live path's attempt log (group commit); drained on close. */
  attemptLog: AttemptLogStore;
  presence: LivePresence;
  grading: GradingService;
  sectorPush: SectorPushService;
  analysis: AnalysisService;
  results: ResultsService;
  /** The media library: images and audio by content hash, who may read them, and the bank's inline-image hook. */
  media: MediaService;
}

export function buildServices(config: Config, conn: Connections, options: BuildOptions): Services {
  const { models, redis, queues } = conn;
  const { role, log } = options;
  const api = role === 'api';
  const warn = (msg: string, err?: unknown) => log.warn({ err: err instanceof Error ? err.message : err }, msg);

  const tokens = new TokenService(config.JWT_SECRET, config.JWT_TTL_SECONDS, redis);
  const orgs = new OrgService(models.Org);
  const access = new Access(orgs);
  const users = new UserService(models.User, orgs, access);
  const audit = new AuditService(models.Audit, orgs, { key: config.AUDIT_KEY, heads: new ChainHeads(redis) });
  const auth = new AuthService(
    models.User,
    users,
    tokens,
    redis,
    {
      maxFailures: config.LOGIN_MAX_FAILURES,
      maxFailuresTotal: config.LOGIN_MAX_FAILURES_TOTAL,
      lockSeconds: config.LOGIN_LOCK_SECONDS,
    },
    (origin, event) => auditLoginEvent({ audit, orgs }, { actorId: null, ...origin }, event),
  );

  // The search index is kept by every head write (search-index.ts); with Redis, the API
  // reconciles interrupted writes and rebuilds a missing index in the background.
  const searchIndex = createSearchIndex(config, models, redis, { log });
  // One set of sharing rules for the bank and the media library, which decides who reads a file by who may see the content showing it.
  const bankAccess = new BankAccess(access, orgs);
  const media = new MediaService({
    Media: models.Media,
    MediaChunk: models.MediaChunk,
    bank: models,
    Exam: models.Exam,
    Form: models.Form,
    Attempt: models.Attempt,
    bankAccess,
    access,
    orgs,
    limits: { image: config.MEDIA_MAX_IMAGE_BYTES, audio: config.MEDIA_MAX_AUDIO_BYTES },
  });
  const bank = createBank({ models, access, orgs, index: searchIndex, bankAccess, media });
  const stimuli = bank.stimuli;
  const interop = new InteropService(bank, media);
  const keyGuard = new KeyGuard({ Exam: models.Exam, Form: models.Form, bank: bank.pools, access });
  const blueprints = new BlueprintService(models.Blueprint, orgs, access);
  const exams = new ExamService({
    Exam: models.Exam,
    Form: models.Form,
    User: models.User,
    blueprints,
    bank: bank.pools,
    orgs,
    access,
    passages: { current: (ids) => currentRevisions(models, ids), pinned: (pins) => pinnedPassages(models, pins) },
    deliveryKey: config.AUDIT_KEY,
  });

  const commitOptions = { windowMs: config.LIVE_COMMIT_WINDOW_MS, maxInFlight: config.LIVE_COMMIT_IN_FLIGHT, ...(options.metrics ? { onBatch: commitHistograms(options.metrics) } : {}) };
  const presence = new LivePresence({ redis: conn.presence.redis, ...(conn.presence.subscriber ? { subscriber: conn.presence.subscriber } : {}), prefix: config.REDIS_KEY_PREFIX, warn });
  const attemptLog = new AttemptLogStore(models.AttemptLog, commitOptions);
  const attempts = new AttemptService({
    Attempt: models.Attempt,
    log: attemptLog,
    queues,
    // Hand-ins go to the state cache, the monitor and whichever API process holds the socket.
    notices: presence,
    warn,
    commitOptions: { windowMs: config.LIVE_COMMIT_WINDOW_MS },
  });
  const deadlineRecovery = new DeadlineRecovery({
    attempts: nativeOf<Attempt>(models.Attempt),
    redis,
    scheduler: attempts,
    intervalMs: config.DEADLINE_RECOVERY_MS,
    log: (message) => log.warn({}, message),
  });
  const live = new LiveService({
    Attempt: models.Attempt,
    attempts,
    exams: api ? examSource({ exams, Exam: models.Exam }) : modelExamSource(models.Exam),
    presence,
    warn,
    commitOptions: { windowMs: config.LIVE_COMMIT_WINDOW_MS },
  });

  const grading = gradingService(models, bank.pools);
  const sectorPush = pushService(models, conn.sector);
  const analysis = new AnalysisService({
    Exam: models.Exam,
    Form: models.Form,
    Result: models.Result,
    Analysis: models.Analysis,
    attempts: liveAttemptSource(models.Attempt, models.Exam),
    // The pinned revisions (keys, options) come through the bank, from the search index's revision cache where it has them.
    bank: { revisions: (pins) => bank.pools.revisions(pins), setStatistics: (itemId, stats) => bank.items.setStatistics(itemId, stats) },
    // The API queues large exams; a worker is the bulk queue's consumer, so it always computes.
    ...(api ? { bulk: queues.bulk, inlineLimit: config.ANALYSIS_INLINE_LIMIT } : {}),
    // The report's `bank.eligible` must agree with what the write-back writes.
    bankMinResponses: config.ANALYSIS_MIN_RESPONSES,
  });
  const results = new ResultsService({ Result: models.Result, User: models.User, Attempt: models.Attempt, Exam: models.Exam, ScoreChange: models.ScoreChange, bank: bank.pools });

  return { tokens, orgs, access, users, audit, auth, searchIndex, bank, stimuli, keyGuard, interop, blueprints, exams, live, attempts, deadlineRecovery, attemptLog, presence, grading, sectorPush, analysis, results, media };
}

/**
 * Lets the services finish what they hold in memory: the pending writes of
 * the attempt log, the live service (attempt creations) and the attempts
 * service (deadline jobs, snapshots), the presence buffer, the index's timers.
 * The process closes its connections after this.
 */
export async function drainServices(services: Services): Promise<void> {
  await services.attemptLog.drain();
  await services.live.drain();
  await services.attempts.drain();
  await services.presence.close();
  await services.searchIndex.close();
}

/** The grading service on the main database's models. */
function gradingService(models: Models, bank: BankReader): GradingService {
  const live = liveAttemptSource(models.Attempt, models.Exam);
  return new GradingService({
    attempts: {
      byIds: live.byIds,
      // One query on the {examId, status} index (one pass over the collection on FerretDB) rather than a point read per candidate on the roster.
      async submittedIds(examId) {
        const docs = await models.Attempt.find({ examId, status: 'submitted' }, { _id: 1 }).lean<{ _id: string }[]>();
        return docs.map((d) => d._id).sort();
      },
      async *streamSubmitted(examId) {
        const cursor = nativeOf<GradableAttempt & { _id: string }>(models.Attempt).find(
          { examId, status: 'submitted' },
          { projection: { examId: 1, candidateId: 1, status: 1, formCode: 1, answers: 1 }, batchSize: 1000 },
        );
        for await (const a of cursor) yield a;
      },
    },
    Result: models.Result,
    SectorMark: models.SectorMark,
    Exam: models.Exam,
    Form: models.Form,
    User: models.User,
    Org: models.Org,
    bank,
  });
}

/**
 * The sector push service. The API builds it without a store (`null`): it
 * only counts, from the main database, and never connects to the sector one.
 */
function pushService(models: Models, store: SectorStore | null): SectorPushService {
  return new SectorPushService({
    Result: models.Result,
    SectorMark: models.SectorMark,
    Exam: models.Exam,
    store: store ?? {
      upsert: () => Promise.reject(new Error('This process does not push to the sector database')),
    },
  });
}

/** Histograms of the live path's group-commit writes, on the given registry. */
function commitHistograms(registry: Registry): (docs: number, seconds: number) => void {
  const batchDocs = new Histogram({
    name: 'live_commit_batch_entries',
    help: 'Log entries per group-commit write (grows with load)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: 'live_commit_write_seconds',
    help: 'Duration of one group-commit write',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  return (docs, seconds) => {
    batchDocs.observe(docs);
    batchSeconds.observe(seconds);
  };
}
