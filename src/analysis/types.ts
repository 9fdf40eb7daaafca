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

export type FlagReason =
  | 'too_hard'
  | 'too_easy'
  | 'low_discrimination'
  | 'distractor_positive_point_biserial'
  | 'possible_wrong_key';

export interface ItemFlag {
  reason: FlagReason;
  /** A sentence for the exam manager. */
  message: string;
  /** The option concerned (distractor and wrong-key flags). */
  optionId?: string;
  /** The statistic that triggered the flag. */
  value?: number;
}

export interface OptionAnalysis {
  /** Candidates (of the item's `n`) who selected the option. */
  count: number;
  /** count / n. For multiple-response items shares may add up to more than 1. */
  share: number;
  /** Correlation of selecting the option with the rest score (total minus this item). */
  pointBiserial: number | null;
  /** Whether the option is keyed; left out of reports for readers the key is withheld from (key-access.ts). */
  key?: boolean;
  /** Share selecting it in the upper group (top `groupShare` by total score). */
  upperShare: number | null;
  /** Share selecting it in the lower group. */
  lowerShare: number | null;
}

export interface RaschItem {
  /** Difficulty in logits; the calibrated items' difficulties sum to 0. */
  difficulty: number;
  /** Standard error from the conditional information matrix under that constraint. */
  se: number;
  /** Information-weighted mean square (expected 1). */
  infit: number;
  /** Unweighted mean square (expected 1). */
  outfit: number;
}

export interface ItemAnalysis {
  itemId: string;
  revision: number;
  maxPoints: number;
  /** Attempts whose form carried the item. */
  n: number;
  /** Mean points. */
  mean: number | null;
  /** Mean points / maxPoints. */
  pValue: number | null;
  /** Corrected item–total correlation: with the total score minus this item. */
  pointBiserial: number | null;
  /** Upper–lower index: mean proportion of maxPoints in the upper group minus the lower group. */
  discrimination: number | null;
  /** Every observed score is 0 or maxPoints. */
  dichotomous: boolean;
  /** Attempts that selected no option (choice items; 0 for others). */
  omitted: number;
  options: Record<string, OptionAnalysis>;
  flags: ItemFlag[];
  rasch: RaschItem | null;
}

/** Attempts that were given the same set of items (a form, up to delivery order). */
export interface FormAnalysis {
  itemCount: number;
  maxScore: number;
  candidates: number;
  mean: number;
  sd: number | null;
  reliability: number | null;
  sem: number | null;
}

export interface ScoreBin {
  /** Inclusive lower bound on the ten-point scale. */
  from: number;
  /** Exclusive upper bound, except the last bin which includes 10. */
  to: number;
  count: number;
  share: number;
}

export interface ScoreDistribution {
  binWidth: number;
  /** Mean of the scores on the ten-point scale. */
  mean: number | null;
  sd: number | null;
  bins: ScoreBin[];
}

export type RaschExclusionReason =
  | 'polytomous'
  | 'no_responses'
  | 'all_correct'
  | 'all_wrong'
  | 'only_extreme_candidates';

export interface RaschSummary {
  model: 'rasch';
  method: 'CML';
  constraint: 'mean item difficulty = 0';
  /** False when no difficulty could be estimated; `note` says why. */
  calibrated: boolean;
  note?: string;
  iterations: number;
  converged: boolean;
  /** Largest difficulty change in the last Newton step (logits). */
  maxChange: number | null;
  /** Conditional log-likelihood at the estimates. */
  logLikelihood: number | null;
  items: number;
  persons: {
    /** Candidates with a non-extreme raw score on the calibrated items. */
    calibrated: number;
    /** Excluded: all calibrated items wrong. */
    extremeZero: number;
    /** Excluded: all calibrated items right. */
    extremeFull: number;
    /** Excluded: none of the calibrated items on their form. */
    noItems: number;
  };
  excludedItems: { itemId: string; revision: number; reason: RaschExclusionReason }[];
}

export type Reliability = { kr20: number | null } | { alpha: number | null };

export interface ExamAnalysis {
  candidates: number;
  /** Mean total score (points). */
  mean: number | null;
  /** Sample standard deviation (n − 1) of total scores. */
  sd: number | null;
  /** KR-20 when every item is dichotomous, Cronbach's alpha otherwise. */
  reliability: Reliability;
  /** Standard error of measurement, sd·√(1 − reliability), in points. */
  sem: number | null;
  /** Per-form breakdown; reliability and SEM above pool these (see ctt.ts). */
  forms: FormAnalysis[];
  distribution: ScoreDistribution;
  items: ItemAnalysis[];
  rasch: RaschSummary | null;
}
