/**
 * The live-exam contract shared by the server and the browser: the monitor's
 * rows and a granted extension. Browser-safe: no Node or server imports.
 */
import type { PersonName } from './people.js';

/** Where a candidate stands in the exam. */
export type MonitorState = 'not_started' | 'in_progress' | 'submitted';

/** The live state of one candidate, as the live service keeps it. */
export interface LiveRow {
  candidateId: string;
  state: MonitorState;
  connected: boolean;
  answered: number;
  lastSeenAt: string | null;
  /** Integrity events by kind. */
  events: Record<string, number>;
  /** Times the candidate came back on a new connection (a reload, a dropped network): joins after the first. */
  reconnects: number;
}

/**
 * One candidate as GET /api/exams/:id/monitor answers: the live state, the
 * name, username and số báo danh (absent for someone the viewer may not see)
 * and the login lock.
 */
export interface MonitorRow extends LiveRow, Partial<PersonName> {
  /** Locked out of logging in by wrong passwords; POST /api/users/:id/unlock lifts it. */
  locked: boolean;
  /** When the latest lock ends. */
  lockedUntil: string | null;
}

/** What POST /api/exams/:id/extensions answers. */
export interface Extension {
  candidateId: string;
  /** The new deadline; null until the candidate starts. */
  endsAt: string | null;
  /** All extra minutes granted so far. */
  extraMinutes: number;
}
