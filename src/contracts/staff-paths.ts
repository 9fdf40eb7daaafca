/**
 * The staff app's addresses, one list for both sides: the server answers each
 * with the client's index.html (src/plugins/web.ts) and the browser's router
 * renders a page for each (src/web/staff/routes.ts). A `:name` segment is a
 * parameter. The router tries the paths in this order, so a fixed segment
 * (`new`) comes before a parameter in the same place.
 * Browser-safe: no Node or server imports.
 */
export const STAFF_HOME = '/staff';

export const STAFF_PATHS = [
  STAFF_HOME,
  '/staff/items',
  '/staff/items/new',
  '/staff/items/:itemId',
  '/staff/items/:itemId/history',
  '/staff/stimuli',
  '/staff/stimuli/new',
  '/staff/stimuli/:stimulusId',
  '/staff/stimuli/:stimulusId/edit',
  '/staff/review',
  '/staff/review/:itemId',
  '/staff/blueprints',
  '/staff/blueprints/new',
  '/staff/blueprints/:blueprintId',
  '/staff/exams',
  '/staff/exams/new',
  '/staff/exams/:examId',
  '/staff/exams/:examId/forms/:code',
  '/staff/exams/:examId/forms/:code/print',
  '/staff/exams/:examId/monitor',
  '/staff/exams/:examId/grading',
  '/staff/exams/:examId/results',
  '/staff/exams/:examId/analysis',
] as const;
export type StaffPath = (typeof STAFF_PATHS)[number];

/** How the router matches a path: each parameter is one segment, captured in order. */
export interface PathMatcher {
  pattern: RegExp;
  /** Names of the parameters, in the order of the pattern's groups. */
  params: string[];
}

/** The matcher of a staff path; the home page also takes a trailing slash. */
export function staffPathMatcher(path: StaffPath): PathMatcher {
  return pathMatcher(path, path === STAFF_HOME);
}

/** The matcher of a client path (`:name` segments are parameters); `trailingSlash`: also with a slash at the end. */
export function pathMatcher(path: string, trailingSlash = false): PathMatcher {
  const params: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}${trailingSlash ? '/?' : ''}$`), params };
}
