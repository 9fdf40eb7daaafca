/**
 * The staff app's addresses. src/plugins/web.ts answers each of these paths
 * with index.html (STAFF_CLIENT_ROUTES there lists the same patterns).
 */
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

export interface StaffRoute {
  pattern: RegExp;
  page: Page;
  params?: string[];
}

const ID = '([^/]+)';

export const STAFF_ROUTES: StaffRoute[] = [
  { pattern: /^\/staff\/?$/, page: homePage },
  { pattern: /^\/staff\/items$/, page: itemsPage },
  { pattern: /^\/staff\/items\/new$/, page: itemEditorPage },
  { pattern: new RegExp(`^/staff/items/${ID}/history$`), page: itemHistoryPage, params: ['itemId'] },
  { pattern: new RegExp(`^/staff/items/${ID}$`), page: itemEditorPage, params: ['itemId'] },
  { pattern: /^\/staff\/stimuli$/, page: stimulusListPage },
  { pattern: /^\/staff\/stimuli\/new$/, page: stimulusNewPage },
  { pattern: new RegExp(`^/staff/stimuli/${ID}/edit$`), page: stimulusEditPage, params: ['stimulusId'] },
  { pattern: new RegExp(`^/staff/stimuli/${ID}$`), page: stimulusViewPage, params: ['stimulusId'] },
  { pattern: /^\/staff\/review$/, page: reviewQueuePage },
  { pattern: new RegExp(`^/staff/review/${ID}$`), page: reviewItemPage, params: ['itemId'] },
  { pattern: /^\/staff\/blueprints$/, page: blueprintListPage },
  { pattern: /^\/staff\/blueprints\/new$/, page: blueprintEditorPage },
  { pattern: new RegExp(`^/staff/blueprints/${ID}$`), page: blueprintViewPage, params: ['blueprintId'] },
  { pattern: /^\/staff\/exams$/, page: examListPage },
  { pattern: /^\/staff\/exams\/new$/, page: examNewPage },
  { pattern: new RegExp(`^/staff/exams/${ID}$`), page: examPage, params: ['examId'] },
  { pattern: new RegExp(`^/staff/exams/${ID}/forms/${ID}$`), page: formPage, params: ['examId', 'code'] },
  { pattern: new RegExp(`^/staff/exams/${ID}/forms/${ID}/print$`), page: printPage, params: ['examId', 'code'] },
  { pattern: new RegExp(`^/staff/exams/${ID}/monitor$`), page: monitorPage, params: ['examId'] },
  { pattern: new RegExp(`^/staff/exams/${ID}/grading$`), page: gradingPage, params: ['examId'] },
  { pattern: new RegExp(`^/staff/exams/${ID}/results$`), page: resultsPage, params: ['examId'] },
  { pattern: new RegExp(`^/staff/exams/${ID}/analysis$`), page: analysisPage, params: ['examId'] },
];
