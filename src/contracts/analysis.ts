/**
 * The item-analysis contract shared by the server and the browser: the body
 * of GET /api/exams/:id/analysis (the contract fixes `candidates, mean, sd,
 * reliability, sem, items[{itemId, revision, n, pValue, pointBiserial,
 * discrimination, options}]`; every other field is an extension documented
 * here) and the answer of its write-back.
 *
 * Statistics that are undefined for the data at hand (a correlation with a
 * constant, a reliability with one item) are `null`, never `NaN`, so the
 * result serialises to JSON unchanged. Browser-safe: no Node or server imports.
 */
import type { ItemStats, ItemType } from './items.js';

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

/** One item of the report: the analysis of ItemAnalysis plus what a reader needs to find the item. */
export interface ReportItem extends ItemAnalysis {
  /** 1-based position in the exam's first form (then the other forms' extra items). */
  number: number;
  type: ItemType | null;
  topic: string | null;
  cognitiveLevel: number | null;
  /** The start of the stem as plain text. */
  excerpt: string;
}

/**
 * The body of GET /api/exams/:id/analysis: the contract's fields (from
 * {@link ExamAnalysis}) and a few of our own.
 */
export interface AnalysisReport extends Omit<ExamAnalysis, 'items'> {
  examId: string;
  examTitle: string;
  subject: string;
  grade: number;
  computedAt: string;
  fingerprint: string;
  /** Graded results left out, by reason. */
  excluded: {
    /** Results still waiting for a person to grade an essay. */
    pendingManual: number;
    /** Results graded against revisions the exam no longer pins (a regrade is due). */
    otherRevision: number;
    /** Results the analysis refused (a score outside its item's range). */
    invalid: number;
  };
  /** Items with at least `minResponses` responses: what POST /api/exams/:id/analysis/write-back would write to the bank. */
  bank: { eligible: number; minResponses: number };
  items: ReportItem[];
}

/** What one item got in the bank from a write-back. */
export type WrittenStatistics = { itemId: string } & Omit<ItemStats, 'updatedAt' | 'examId' | 'examTitle'>;

/** The answer of POST /api/exams/:id/analysis/write-back. */
export interface WriteBackOutcome {
  examId: string;
  examTitle: string;
  /** The grades the written figures were computed from (the report's fingerprint). */
  fingerprint: string;
  writtenAt: string;
  minResponses: number;
  /** Items whose statistics were written. */
  updated: number;
  /** Items left as they were: too few responses, or no longer in the bank. */
  skipped: number;
  items: WrittenStatistics[];
}

