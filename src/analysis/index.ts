/**
 * Item analysis of an exam: classical statistics, review flags and Rasch
 * calibration, computed in memory from graded attempts streamed in one at a
 * time (FerretDB has no aggregation operators to do it server-side).
 *
 *   const analyzer = new ExamAnalyzer(items);
 *   for await (const attempt of cursor) analyzer.add(toScores(attempt));
 *   const body = analyzer.result();   // the GET /api/exams/:id/analysis body
 *
 * `result()` may be called at any time and again after more `add()` calls.
 * Memory is one Float64 per (attempt, item) plus one 32-bit mask per (attempt,
 * choice item); 100,000 × 50 fits in about 60 MB.
 */
import { computeCtt } from './ctt.js';
import { DEFAULT_FLAG_THRESHOLDS, flagItem } from './flags.js';
import { calibrateRasch, NOT_ADMINISTERED } from './rasch.js';
import { ResponseStore } from './responses.js';
import type {
  AnalysisItem,
  AnalysisOptions,
  AttemptScores,
  ExamAnalysis,
  FlagThresholds,
  ItemAnalysis,
  RaschItem,
  RaschOptions,
  RaschSummary,
} from './types.js';

export type * from './types.js';
export { AnalysisInputError } from './responses.js';
export { calibrateRasch, NOT_ADMINISTERED, type RaschCalibration } from './rasch.js';
export { computeCtt } from './ctt.js';
export { DEFAULT_FLAG_THRESHOLDS, flagItem } from './flags.js';

export class ExamAnalyzer {
  private readonly store: ResponseStore;
  private readonly items: readonly AnalysisItem[];
  private readonly index = new Map<string, number>();

  constructor(
    items: readonly AnalysisItem[],
    private readonly options: AnalysisOptions = {},
  ) {
    this.items = items.slice();
    this.store = new ResponseStore(this.items, options.expectedAttempts);
    this.items.forEach((item, i) => this.index.set(`${item.revision}:${item.itemId}`, i));
  }

  /** Attempts added so far. */
  get attempts(): number {
    return this.store.attempts;
  }

  /** Position of an item in `itemScores`/`choices`, or -1. */
  itemIndex(itemId: string, revision: number): number {
    return this.index.get(`${revision}:${itemId}`) ?? -1;
  }

  /** Adds one graded attempt; throws AnalysisInputError (and stores nothing) if it is malformed. */
  add(attempt: AttemptScores): void {
    this.store.add(attempt);
  }

  result(): ExamAnalysis {
    const store = this.store;
    const { exam, items: ctt } = computeCtt(store, {
      groupShare: this.options.groupShare,
      binWidth: this.options.binWidth,
    });
    const thresholds: FlagThresholds = { ...DEFAULT_FLAG_THRESHOLDS, ...this.options.flags };
    const rasch = this.options.rasch === false ? null : this.rasch(this.options.rasch ?? {});

    const items: ItemAnalysis[] = ctt.map((stats, i) => {
      const item = this.items[i]!;
      return {
        itemId: item.itemId,
        revision: item.revision,
        maxPoints: item.maxPoints,
        n: stats.n,
        mean: stats.mean,
        pValue: stats.pValue,
        pointBiserial: stats.pointBiserial,
        discrimination: stats.discrimination,
        dichotomous: store.dichotomous[i]!,
        omitted: stats.omitted,
        options: stats.options,
        flags: flagItem(stats, thresholds),
        rasch: rasch?.items[i] ?? null,
      };
    });
    return { ...exam, items, rasch: rasch?.summary ?? null };
  }

  private rasch(options: RaschOptions): { summary: RaschSummary; items: (RaschItem | null)[] } {
    const store = this.store;
    const K = store.columns.length;
    // Only dichotomous items enter the 1PL model; the others are reported as excluded.
    const columns: number[] = [];
    store.dichotomous.forEach((d, i) => {
      if (d) columns.push(i);
    });
    const k = columns.length;
    const N = store.attempts;
    const responses = new Uint8Array(N * k);
    for (let a = 0; a < N; a++) {
      const row = a * K;
      for (let j = 0; j < k; j++) {
        const i = columns[j]!;
        const x = store.scores[row + i]!;
        responses[a * k + j] = Number.isNaN(x) ? NOT_ADMINISTERED : x > store.columns[i]!.maxPoints / 2 ? 1 : 0;
      }
    }
    const calibration = calibrateRasch(responses, N, k, options);
    const items: (RaschItem | null)[] = this.items.map(() => null);
    const excludedItems: RaschSummary['excludedItems'] = [];
    this.items.forEach((item, i) => {
      if (!store.dichotomous[i]) excludedItems.push({ itemId: item.itemId, revision: item.revision, reason: 'polytomous' });
    });
    columns.forEach((i, j) => {
      const estimate = calibration.items[j];
      const item = this.items[i]!;
      if (typeof estimate === 'string') excludedItems.push({ itemId: item.itemId, revision: item.revision, reason: estimate });
      else if (estimate) items[i] = estimate;
    });
    const summary: RaschSummary = {
      model: 'rasch',
      method: 'CML',
      constraint: 'mean item difficulty = 0',
      calibrated: calibration.calibrated,
      ...(calibration.note === undefined ? {} : { note: calibration.note }),
      iterations: calibration.iterations,
      converged: calibration.converged,
      maxChange: calibration.maxChange,
      logLikelihood: calibration.logLikelihood,
      items: items.filter((x) => x !== null).length,
      persons: calibration.persons,
      excludedItems,
    };
    return { summary, items };
  }
}

/** Runs a whole analysis over an (async) iterable of attempts, e.g. a database cursor mapped to scores. */
export async function analyzeAttempts(
  items: readonly AnalysisItem[],
  attempts: Iterable<AttemptScores> | AsyncIterable<AttemptScores>,
  options: AnalysisOptions = {},
): Promise<ExamAnalysis> {
  const analyzer = new ExamAnalyzer(items, options);
  for await (const attempt of attempts) analyzer.add(attempt);
  return analyzer.result();
}
