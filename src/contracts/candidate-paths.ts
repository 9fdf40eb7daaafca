/**
 * The client's addresses outside the staff app, one list for both sides: the
 * server answers each with the client's index.html (src/plugins/web.ts) and
 * the browser's router renders a page for each (src/web/candidate-pages.ts).
 * A `:name` segment is a parameter. Browser-safe: no Node or server imports.
 */

/** A candidate's exams. */
export const CANDIDATE_HOME = '/';
/** Sign-in, for candidates and staff. */
export const LOGIN_PATH = '/login';
/** One exam being taken. */
export const EXAM_PATH = '/exam/:examId';

export const CANDIDATE_PATHS = [CANDIDATE_HOME, LOGIN_PATH, EXAM_PATH] as const;
export type CandidatePath = (typeof CANDIDATE_PATHS)[number];
