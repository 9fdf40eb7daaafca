/**
 * Input and output shapes of item analysis. The output is the body of
 * `GET /api/exams/:id/analysis` (the contract fixes `candidates, mean, sd, reliability,
 * sem, items[{itemId, revision, n, pValue, pointBiserial, discrimination, options}]`);
 * every other field is an extension documented here.
 *
 * Statistics that are undefined for the data at hand (a correlation with a
 * constant, a reliability with one item) are `null`, never `NaN`, so the
 * result serialises to JSON unchanged.
 */

/** One item of the exam as the analysis sees it: a pinned revision and its weight. */
export interface AnalysisItem {
  itemId: string;
  revision: number;
  /** Points the item is worth in this exam; must be > 0. */
  maxPoints: number;
  /**
   * Option ids of a choice item in authoring order. Options that only appear in
   * responses are appended in order of first appearance. At most 32 per item.
   */
  options?: readonly string[];
  /** Keyed option id(s). Needed for the distractor and wrong-key flags. */
  key?: readonly string[];
}

/** Option id(s) a candidate selected on one item; `null`, `undefined` or `[]` = omitted. */
export type ChoiceResponse = string | readonly string[] | null | undefined;

/** One graded attempt, positionally aligned with the analyzer's items. */
export interface AttemptScores {
  /**
   * Points per item. `null` or `NaN` means the item was not on this attempt's
   * form; an item that was on the form but left unanswered scores 0 (docs/item-types.md).
   */
  itemScores: ArrayLike<number | null>;
  /** Selected option id(s) per item (choice items); entries for other items are ignored. */
  choices?: ArrayLike<ChoiceResponse>;
}

export interface FlagThresholds {
  /** An item is flagged `too_hard` when its p-value is below this. @defaultValue 0.2 */
  minPValue: number;
  /** An item is flagged `too_easy` when its p-value is above this. @defaultValue 0.9 */
  maxPValue: number;
  /** An item is flagged `low_discrimination` when its upper–lower index is below this. @defaultValue 0.2 */
  minDiscrimination: number;
  /** A distractor is flagged when its point-biserial is above this. @defaultValue 0 */
  maxDistractorPointBiserial: number;
}

export interface RaschOptions {
  /** Newton–Raphson iterations before giving up. @defaultValue 100 */
  maxIterations?: number;
  /** Converged when no difficulty moves more than this in one step (logits). @defaultValue 1e-6 */
  tolerance?: number;
  /**
   * Upper bound on floating-point work per likelihood evaluation (≈ Σ over item
   * sets of m⁴/2); designs above it (hundreds of distinct item sets) are not
   * calibrated rather than tying up a worker. @defaultValue 1e9
   */
  maxWork?: number;
}

export interface AnalysisOptions {
  /** Share of candidates in each of the upper and lower groups. @defaultValue 0.27 */
  groupShare?: number;
  /** Width of the bins of the ten-point score distribution; must divide 10 into hundredths. @defaultValue 1 */
  binWidth?: number;
  /** Flag thresholds; unset ones take their defaults. */
  flags?: Partial<FlagThresholds>;
  /** Rasch calibration options, or `false` to skip it. @defaultValue {} */
  rasch?: RaschOptions | false;
  /** Attempts to reserve memory for up front (storage grows as needed). @defaultValue 1024 */
  expectedAttempts?: number;
}

// The output shapes are the analysis' wire contract, shared with the browser.
export type {
  ExamAnalysis,
  FlagReason,
  FormAnalysis,
  ItemAnalysis,
  ItemFlag,
  OptionAnalysis,
  RaschExclusionReason,
  RaschItem,
  RaschSummary,
  Reliability,
  ScoreBin,
  ScoreDistribution,
} from '../contracts/analysis.js';
