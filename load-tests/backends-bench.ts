/**
 * The bank, assembly, grading and live benchmarks on FerretDB's two backends,
 * SQLite (the embedded default) and PostgreSQL, side by side in one run (issue
 * 21): each benchmark runs once per backend, one after the other, so both see
 * the same machine at nearly the same time.
 *
 *   flock /tmp/bench.lock npm run bench:backends -- [--size small|full] [--pg postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Every benchmark already starts a FerretDB of its own (src/infra/services.ts,
 * privateFerret); with FERRETDB_POSTGRESQL_URL set it stores its data in a
 * PostgreSQL database of its own on that server, dropped at its end. Sizes:
 * `small` (default) bank 5,000 items, assembly 2,000 items × 12 forms,
 * grading 2,000 attempts with one worker, live 500 sockets at ~500 saves/s
 * for 30 s; `full` the benchmarks' own defaults. Writes
 * load-tests/results/backends-bench.{json,md} (the per-benchmark reports go to
 * a temporary folder; the live ones to load-tests/results/ as usual).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/infra/paths.js';

const { values: a } = parseArgs({
  options: {
    size: { type: 'string', default: 'small' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const small = a.size !== 'full';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'backends-bench-'));
const stamp = Date.now().toString(36);
type Json = Record<string, unknown>;

interface Bench {
  name: string;
  script: string;
  args: (out: string, backend: string) => string[];
  /** The report of the run (a file it wrote). */
  report: (out: string, backend: string) => Json;
  metrics: (r: Json) => Record<string, number | null>;
}

const get = (o: unknown, ...keys: (string | number)[]): number | null => {
  let v: unknown = o;
  for (const k of keys) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  return typeof v === 'number' ? v : null;
};
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Json;

const benches: Bench[] = [
  {
    name: 'bank',
    script: 'load-tests/bank-bench.ts',
    args: (out) => ['--items', small ? '5000' : '100000', '--queries', '20', '--out', out],
    report: readJson,
    metrics: (r) => ({
      'insert items/s': get(r, 'insert', 'itemsPerSecond'),
      'search filtered p95 ms (API)': get(r, 'search', 'filtered', 'api', 'p95'),
      'search q p95 ms (API)': get(r, 'search', 'q', 'api', 'p95'),
      'search filtered + q p95 ms (API)': get(r, 'search', 'filteredQ', 'api', 'p95'),
      'search filtered, database alone p50 ms': get(r, 'search', 'filtered', 'databaseOnly', 'p50'),
      'item by id p50 ms': get(r, 'getById', 'p50'),
    }),
  },
  {
    name: 'assembly',
    script: 'load-tests/assembly-bench.ts',
    args: (out) => ['--items', small ? '2000' : '20000', '--forms', small ? '12' : '48', '--runs', '3', '--skip-md', '--out', out],
    report: readJson,
    metrics: (r) => ({
      'bank insert s': get(r, 'bank', 'insertSeconds'),
      'assemble all forms, median ms': get(r, 'assemble48', 'medianMs'),
      'assemble one form, median ms': get(r, 'assemble1', 'medianMs'),
      'store forms ms': get(r, 'breakdown48', 'storeMs'),
    }),
  },
  {
    name: 'grading',
    script: 'load-tests/grading-bench.ts',
    args: (out) => ['--attempts', small ? '2000' : '10000', '--workers', '1', '--out', out],
    report: readJson,
    metrics: (r) => ({
      'graded attempts/s (1 worker)': get(r, 'runs', 0, 'attemptsPerS'),
      'queue → all graded and pushed s': get(r, 'runs', 0, 'totalS'),
      'database CPU s': get(r, 'runs', 0, 'cpuS', 'database'),
    }),
  },
  {
    name: 'live',
    script: 'load-tests/load.ts',
    args: (_out, backend) => ['steady', '--candidates', small ? '500' : '5000', '--interval', small ? '1000' : '5000', '--duration', small ? '30' : '120', '--ramp', small ? '10' : '30', '--label', `backends-${backend}-${stamp}`],
    report: (_out, backend) => {
      const dir = path.join(projectRoot(), 'load-tests', 'results');
      const file = readdirSync(dir).find((f) => f.startsWith(`load-steady-backends-${backend}-${stamp}`) && f.endsWith('.json'));
      if (!file) throw new Error(`no live report for ${backend}`);
      return readJson(path.join(dir, file));
    },
    metrics: (r) => ({
      'saves/s': get(r, 'result', 'savesPerSecond'),
      'ack p50 ms': get(r, 'result', 'ackLatencyMs', 'p50'),
      'ack p99 ms': get(r, 'result', 'ackLatencyMs', 'p99'),
      'join open → state p95 ms': get(r, 'result', 'joinOpenToStateMs', 'p95'),
      'group-commit write ms (mean)': get(r, 'result', 'server', 'meanWriteMs'),
      'database CPU % of a core': get(r, 'result', 'cpuPercent', 'db'),
      lost: get(r, 'result', 'lossAudit', 'lost'),
    }),
  },
];

const { FERRETDB_POSTGRESQL_URL: _unset, ...baseEnv } = process.env;
const backends: [string, NodeJS.ProcessEnv][] = [
  ['sqlite', {}],
  ['postgresql', { FERRETDB_POSTGRESQL_URL: a.pg }],
];
const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const report: Json = {
  benchmark: 'backends',
  command: `npm run bench:backends -- ${process.argv.slice(2).join(' ')}`.trim(),
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavgBefore: loadavg() },
  size: small ? 'small' : 'full',
  runs: [] as Json[],
};
let failed = false;
for (const bench of benches) {
  for (const [backend, env] of backends) {
    const out = path.join(tmp, `${bench.name}-${backend}.json`);
    console.log(`== ${bench.name} on ${backend}`);
    const t0 = Date.now();
    const res = spawnSync(process.execPath, ['--import', 'tsx', bench.script, ...bench.args(out, backend)], {
      cwd: projectRoot(),
      env: { ...baseEnv, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const run: Json = { bench: bench.name, backend, seconds: Math.round((Date.now() - t0) / 100) / 10, exit: res.status, loadavgAfter: loadavg() };
    try {
      if (res.status !== 0) throw new Error(`exited ${res.status}`);
      run.metrics = bench.metrics(bench.report(out, backend));
    } catch (err) {
      run.error = (err as Error).message;
      failed = true;
    }
    (report.runs as Json[]).push(run);
  }
}
(report.machine as Json).loadavgAfter = loadavg();
rmSync(tmp, { recursive: true, force: true });

const dir = path.join(projectRoot(), 'load-tests', 'results');
writeFileSync(path.join(dir, 'backends-bench.json'), `${JSON.stringify(report, null, 2)}\n`);
const m = report.machine as Json;
const lines = [
  '# FerretDB 1.24 on SQLite and on PostgreSQL, side by side',
  '',
  `- Command: \`${report.command}\``,
  `- Date: ${report.date}; machine ${m.cpus} cores (${m.model}), Node ${m.node}; load average before ${(m.loadavgBefore as number[]).join(' / ')}, after ${(m.loadavgAfter as number[]).join(' / ')}`,
  `- Size: ${report.size}; each benchmark ran on SQLite, then at once on PostgreSQL.`,
  '',
  '| benchmark | metric | SQLite | PostgreSQL | PostgreSQL / SQLite |',
  '|---|---|---|---|---|',
];
for (const bench of benches) {
  const [s, p] = backends.map(([b]) => (report.runs as Json[]).find((r) => r.bench === bench.name && r.backend === b)!);
  if (!s?.metrics || !p?.metrics) {
    lines.push(`| ${bench.name} | (failed: ${s?.error ?? ''} ${p?.error ?? ''}) | | | |`);
    continue;
  }
  for (const [k, sv] of Object.entries(s.metrics as Record<string, number | null>)) {
    const pv = (p.metrics as Record<string, number | null>)[k] ?? null;
    const ratio = sv && pv !== null ? `${Math.round((pv / sv) * 100) / 100}×` : '–';
    lines.push(`| ${bench.name} | ${k} | ${sv ?? '–'} | ${pv ?? '–'} | ${ratio} |`);
  }
}
writeFileSync(path.join(dir, 'backends-bench.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
if (failed) process.exitCode = 1;
