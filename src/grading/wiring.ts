import type { BankReader } from '../bank/item-types.js';
import { liveAttemptSource } from '../live/attempt-source.js';
import type { Models } from '../models.js';
import { SectorPushService, type SectorStore } from '../sector/sector-service.js';
import { GradingService, type GradableAttempt } from './grading-service.js';
import { nativeOf } from '../infra/store.js';

/** The grading service on the main database's models; the API and the workers build it the same way. */
export function createGradingService(models: Models, bank: BankReader): GradingService {
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
export function createPushService(models: Models, store: SectorStore | null): SectorPushService {
  return new SectorPushService({
    Result: models.Result,
    SectorMark: models.SectorMark,
    Exam: models.Exam,
    store: store ?? {
      upsert: () => Promise.reject(new Error('This process does not push to the sector database')),
    },
  });
}
