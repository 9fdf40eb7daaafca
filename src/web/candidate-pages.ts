/**
 * The client's pages outside the staff app by address. The addresses are the
 * shared list of src/contracts/candidate-paths.ts, which the server answers
 * with index.html.
 */
import { CANDIDATE_PATHS, type CandidatePath } from '../contracts/candidate-paths.js';
import { pathMatcher, type PathMatcher } from '../contracts/staff-paths.js';
import { examPage } from './pages/exam.js';
import { examsPage } from './pages/exams.js';
import { loginPage } from './pages/login.js';
import type { Page } from './pages/types.js';

export interface CandidateRoute extends PathMatcher {
  path: CandidatePath;
  page: Page;
  /** Signed-in people only. */
  auth: boolean;
}

/** The page of every address; the type makes sure none is left without one. */
const PAGES: Record<CandidatePath, { page: Page; auth: boolean }> = {
  '/': { page: examsPage, auth: true },
  '/login': { page: loginPage, auth: false },
  '/exam/:examId': { page: examPage, auth: true },
};

export const CANDIDATE_ROUTES: CandidateRoute[] = CANDIDATE_PATHS.map((path) => ({ path, ...PAGES[path], ...pathMatcher(path) }));
