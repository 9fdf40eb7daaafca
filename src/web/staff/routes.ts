/**
 * The staff app's pages by address. The addresses are the shared list of
 * src/contracts/staff-paths.ts, which the server answers with index.html.
 */
import { STAFF_PATHS, staffPathMatcher, type PathMatcher, type StaffPath } from '../../contracts/staff-paths.js';
import type { Page } from '../pages/types.js';
import { analysisPage } from './pages/analysis.js';
import { blueprintEditorPage, blueprintListPage, blueprintViewPage } from './pages/blueprints.js';
import { examPage, formPage, printPage } from './pages/exam.js';
import { examListPage, examNewPage } from './pages/exams.js';
import { gradingPage } from './pages/grading.js';
import { homePage } from './pages/home.js';
import { itemEditorPage } from './pages/item-editor.js';
import { itemHistoryPage } from './pages/item-history.js';
import { itemsPage } from './pages/items.js';
import { monitorPage } from './pages/monitor.js';
import { resultsPage } from './pages/results.js';
import { reviewItemPage, reviewQueuePage } from './pages/review.js';
import { stimulusEditPage, stimulusListPage, stimulusNewPage, stimulusViewPage } from './pages/stimulus.js';

export interface StaffRoute extends PathMatcher {
  path: StaffPath;
  page: Page;
}

/** The page of every staff address; the type makes sure none is left without one. */
const PAGES: Record<StaffPath, Page> = {
  '/staff': homePage,
  '/staff/items': itemsPage,
  '/staff/items/new': itemEditorPage,
  '/staff/items/:itemId': itemEditorPage,
  '/staff/items/:itemId/history': itemHistoryPage,
  '/staff/stimuli': stimulusListPage,
  '/staff/stimuli/new': stimulusNewPage,
  '/staff/stimuli/:stimulusId': stimulusViewPage,
  '/staff/stimuli/:stimulusId/edit': stimulusEditPage,
  '/staff/review': reviewQueuePage,
  '/staff/review/:itemId': reviewItemPage,
  '/staff/blueprints': blueprintListPage,
  '/staff/blueprints/new': blueprintEditorPage,
  '/staff/blueprints/:blueprintId': blueprintViewPage,
  '/staff/exams': examListPage,
  '/staff/exams/new': examNewPage,
  '/staff/exams/:examId': examPage,
  '/staff/exams/:examId/forms/:code': formPage,
  '/staff/exams/:examId/forms/:code/print': printPage,
  '/staff/exams/:examId/monitor': monitorPage,
  '/staff/exams/:examId/grading': gradingPage,
  '/staff/exams/:examId/results': resultsPage,
  '/staff/exams/:examId/analysis': analysisPage,
};

/** The router's table, in the order of STAFF_PATHS. */
export const STAFF_ROUTES: StaffRoute[] = STAFF_PATHS.map((path) => ({ path, page: PAGES[path], ...staffPathMatcher(path) }));
