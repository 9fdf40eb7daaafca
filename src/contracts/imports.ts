/**
 * The import contract shared by the server and the browser: what POST
 * /api/items/import answers (a stored import, or a dry run's preview).
 * Browser-safe: no Node or server imports.
 */
import type { ItemDraft } from './items.js';

/** Why one question or passage of the file was not stored. */
export interface ImportError {
  code: string;
  message: string;
  /** What exactly is wrong, one entry per problem (e.g. a schema path and its message). */
  details: Record<string, unknown>[];
}

/** Where a question is in the file: its position, and its line or printed number where the format has them. */
export interface ImportPlace {
  index: number;
  line?: number;
  /** The question's number as the file prints it, where the file numbers its questions (Word papers). */
  number?: number;
  section?: string;
}

export interface ImportFailure extends ImportPlace {
  error: ImportError;
}

export interface ImportWarning {
  index: number;
  line?: number;
  number?: number;
  messages: string[];
}

/** A passage of the file: stored (with its bank `id`), or in a dry run as it would be stored. */
export interface ImportedStimulus {
  /** The file's own name for it, which a dry run's items carry as `stimulusId`. */
  ref: string;
  id?: string;
  title: string;
  /** The sanitised passage (dry run only). */
  content?: string;
}

/** One question as it would be stored (dry run). */
export interface PlannedItem extends ImportPlace {
  item: ItemDraft;
}

export interface ImportReport {
  /** Items stored; in a dry run, items that would be. */
  imported: number;
  ids: string[];
  failed: ImportFailure[];
  warnings: ImportWarning[];
  /** About the file as a whole. */
  fileWarnings?: string[];
  stimuli?: ImportedStimulus[];
  /** Set on a dry run: nothing was written, `items` is what would be. */
  dryRun?: boolean;
  items?: PlannedItem[];
}
