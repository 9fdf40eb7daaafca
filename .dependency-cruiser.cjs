/**
 * Architecture rules, checked by `npm run arch` (dependency-cruiser) in CI.
 * A domain is a folder directly under src/ (bank, exams, live, grading, …).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles-between-domains',
      comment: 'Domains depend on each other in one direction only; a cycle means a helper or a type lives in the wrong domain.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/[^/]+$', pathNot: '^src/web$' },
      to: { circular: true },
    },
    {
      name: 'workers-not-through-the-socket-layer',
      comment: 'Worker processes share domain services with the API, never its WebSocket layer.',
      severity: 'error',
      from: { path: '^workers/' },
      to: { path: '^src/live/' },
    },
    {
      name: 'attempts-below-the-socket-layer',
      comment: 'Attempts (the log, replay, hand-ins) are used by the socket layer and the workers alike: they never import src/live.',
      severity: 'error',
      from: { path: '^src/attempts/' },
      to: { path: '^src/live/' },
    },
    {
      name: 'bank-imports-no-exam-code',
      comment: 'The question bank is below exams and assembly: it never imports them.',
      severity: 'error',
      from: { path: '^src/bank/' },
      to: { path: '^src/(exams|assembly|live|grading|results|analysis|adaptive)/' },
    },
    {
      name: 'browser-imports-only-browser-code-and-shared-contracts',
      comment: 'Code under src/web runs in the browser: it imports other browser code and the shared contracts, never server modules.',
      severity: 'error',
      from: { path: '^src/web/', pathNot: '^src/web/build/' },
      to: { path: '^src/', pathNot: '^src/(web|contracts)/' },
    },
    {
      name: 'routes-are-leaves',
      comment: 'Helpers live in domain modules, not route files: nothing but the app (and a plugin gathering its own routes) imports a route file.',
      severity: 'error',
      from: { pathNot: '^src/(app|composition)\\.ts$|-plugin\\.ts$|^test/' },
      to: { path: '-routes\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs'] },
  },
};
