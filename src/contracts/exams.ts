/**
 * The exam contract shared by the server and the browser: blueprint matrices,
 * exam statuses and result visibility, and the summary of an assembled form.
 * Browser-safe: no Node or server imports.
 */
import type { AnyItemContent, CognitiveLevel, ItemType } from './items.js';

export const SHOW_RESULTS = ['never', 'after_submit', 'after_close'] as const;
export type ShowResults = (typeof SHOW_RESULTS)[number];

/**
 * When candidates read the items' feedback and hints: `with_details` — with
 * the points per item, i.e. once the exam has closed and only where
 * `showResults` shows a result at all (the default: feedback tells the key,
 * so it comes no earlier than the per-item detail); `never` — not at all.
 */
export const SHOW_FEEDBACK = ['with_details', 'never'] as const;
export type ShowFeedback = (typeof SHOW_FEEDBACK)[number];

/**
 * How candidates sit an exam: `fixed` — parallel forms drawn from the
 * blueprint; `adaptive` — each candidate's next item chosen from the
 * blueprint's calibrated bank items as they answer (docs/adaptive.md).
 */
export const EXAM_MODES = ['fixed', 'adaptive'] as const;
export type ExamMode = (typeof EXAM_MODES)[number];

/**
 * The adaptive test of an `adaptive` exam (docs/adaptive.md): the blueprint
 * is the exam's own; the pool is its cells' approved, calibrated items.
 */
export interface AdaptiveSettings {
  stop: { maxItems: number; minItems?: number; seTarget?: number };
  /** Prior of θ. @defaultValue N(0, 1) */
  prior?: { mean: number; sd: number };
  /** @defaultValue randomesque with k = 5 */
  exposure?: { method: 'none' | 'randomesque' | 'sympson-hetter'; k?: number; parameters?: Record<string, number> };
  /** Uncalibrated approved items of the blueprint's cells seeded as unscored pretest items. */
  pretest?: { itemIds: string[]; positions?: number[]; rate?: number; maxPerCandidate?: number };
  /** @defaultValue expected-score */
  score10?: { method: 'expected-score' | 'linear'; thetaMin?: number; thetaMax?: number };
}

/** `draft` → (assemble any number of times) → `published` (forms frozen). */
export const EXAM_STATUSES = ['draft', 'published'] as const;
export type ExamStatus = (typeof EXAM_STATUSES)[number];

/** One cell of the matrix: `count` items of the section's type, this topic and this level. */
export interface BlueprintCell {
  topic: string;
  cognitiveLevel: CognitiveLevel;
  count: number;
}

export interface BlueprintSection {
  title: string;
  /** Item type drawn by every cell; absent means any type. */
  type?: ItemType;
  /** Overrides each item's own points. */
  pointsPerItem?: number;
  /** Shuffle the order of items (stimulus groups move as a unit) inside the section. @defaultValue false */
  shuffleItems?: boolean;
  /** Shuffle options of choice items, except `fixed` ones; an item's own `shuffleOptions: false` wins. @defaultValue true */
  shuffleOptions?: boolean;
  cells: BlueprintCell[];
}

/** One assembled form as the assemble answer and the form list summarise it. */
export interface FormSummary {
  code: string;
  itemCount: number;
  totalPoints: number;
  meanDifficulty: number;
  hash: string;
}

/** How alike the forms of one assembly may be. */
export interface BlueprintConstraints {
  /** Largest share of items any two forms may have in common, where the bank allows. @defaultValue 0.3 */
  maxItemOverlap: number;
  /** Largest difference between the mean difficulties of any two forms, where the bank allows. @defaultValue 0.05 */
  difficultyTolerance: number;
}

/** A blueprint ("ma trận đề") as POST /api/blueprints takes it. */
export interface NewBlueprint {
  title: string;
  subject: string;
  grade: number;
  durationMinutes?: number;
  sections: BlueprintSection[];
  constraints?: Partial<BlueprintConstraints>;
  /** Owner organisation; needed only when the caller is exam_manager at several. */
  orgId?: string;
}

/** A blueprint as GET /api/blueprints and /api/blueprints/:id answer it. */
export interface BlueprintView {
  id: string;
  title: string;
  subject: string;
  grade: number;
  durationMinutes?: number;
  sections: BlueprintSection[];
  constraints: BlueprintConstraints;
  ownerOrgId: string;
  createdBy: string;
  createdAt: string;
}

/** Approved items one matrix cell can draw from (GET /api/blueprints/availability). */
export interface CellAvailability {
  topic: string;
  cognitiveLevel: CognitiveLevel;
  available: number;
}

/** An exam as POST /api/exams takes it. */
export interface NewExam {
  title: string;
  blueprintId: string;
  formCount: number;
  /** Default: 128 random bits, stored and shown. */
  seed?: string | number;
  opensAt: string;
  closesAt: string;
  durationMinutes: number;
  candidateIds: string[];
  showResults: ShowResults;
  /** @defaultValue 'with_details' */
  showFeedback?: ShowFeedback;
  /** @defaultValue 'fixed' */
  mode?: ExamMode;
  /** Required when `mode` is `adaptive` (then `formCount` is 1), refused otherwise. */
  adaptive?: AdaptiveSettings;
  /** Owner organisation; needed only when the caller is exam_manager at several. */
  orgId?: string;
}

/** What POST /api/exams/:id/assemble answers. */
export interface AssembleSummary {
  seed: string;
  forms: FormSummary[];
  /** Largest share of items two forms have in common. */
  overlap: number;
  /** Highest minus lowest form mean difficulty. */
  difficultySpread: number;
  /** Adaptive exams: the pool form "101" holds the pool; what it is made of. */
  adaptive?: { operational: number; pretest: number; left: { uncalibrated: number; notDichotomous: number } };
}

/**
 * An item of a form as exam managers read it: its content in this form's
 * delivery order, with the key unless `keyWithheld` (not the reader's to see
 * before the exam is published and open).
 */
export type ManagerFormItem = AnyItemContent & {
  /** Position on the form, from 1. */
  number: number;
  itemId: string;
  revision: number;
  /** Index of the blueprint section it was drawn for. */
  section: number;
  points: number;
  keyWithheld?: boolean;
  optionOrder?: string[];
  choiceOrder?: string[];
  elementOrder?: string[];
  stimulusRevision?: number;
};

/** One form as GET /api/exams/:id/forms/:code answers it (exam managers). */
export interface ManagerFormView extends FormSummary {
  examId: string;
  examTitle: string;
  examStatus: ExamStatus;
  sections: { index: number; title: string }[];
  items: ManagerFormItem[];
}

/**
 * An exam as GET /api/exams/:id shows it: candidates the window only;
 * proctors and boards also the forms, roster and owner; exam managers also the
 * seed and the assembly figures. Lists give `candidateCount` instead of the
 * roster.
 */
export interface ExamView {
  id: string;
  title: string;
  status: string;
  subject?: string;
  grade?: number;
  opensAt: string;
  closesAt: string;
  durationMinutes: number;
  showResults?: ShowResults;
  showFeedback?: ShowFeedback;
  blueprintId?: string;
  /** The blueprint's name, when the viewer may read the blueprint. */
  blueprintTitle?: string;
  formCount?: number;
  candidateIds?: string[];
  ownerOrgId?: string;
  createdBy?: string;
  createdAt?: string;
  formCodes?: string[];
  publishedAt?: string;
  seed?: string;
  overlap?: number;
  difficultySpread?: number;
  assembledAt?: string;
  /** In lists, instead of the roster. */
  candidateCount?: number;
  /** `fixed` or `adaptive` (every audience: the candidate client shows an adaptive exam one item at a time). */
  mode?: ExamMode;
  /** The adaptive settings (exam managers). */
  adaptive?: AdaptiveSettings;
}
