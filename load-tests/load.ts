/**
 * Exam-day load scenarios (issue 8) and the live-exam benchmark (issue 5).
 *
 *   npm run load -- <scenario> [options]
 *
 * Scenarios (defaults in brackets):
 *   steady        --candidates [5000] --interval [5000] ms --duration [120] s --ramp [30] s
 *   join-storm    --candidates [2000] --window [1000] ms --within [3000] ms
 *   submit-storm  --candidates [2000] --interval [5000] --duration [60] --ramp [20] --window [60000] ms --grade-timeout [600] s
 *   bank-browse   --candidates [3000] --interval [5000] --duration [60] --ramp [20] --baseline [30] s
 *                 --authors [4] --think [1000] ms --bank [2000] items --edit-share [0.2]
 *   failover      --candidates [2000] --interval [5000] --ramp [20] --before [20] s --after [20] s --resume-within [10000] ms
 *                 (SIGKILL of one of two API processes; also run by `npm run faults`)
 *   ladder        --candidates [4000] --rates [1000,2000,4000,6000,8000] answers/s --duration [30] s per step
 *                 --ramp [30] s --p95-limit [2000] ms --generator-nice [0] (the answer path's ceiling, one row per rate)
 *   adaptive      --candidates [2000] --items [40] test length (rounded to a multiple of 3) --bank [2000] pool items
 *                 --interval [5000] ms mean think time --window [20000] ms of joins (an adaptive exam, next-item latency)
 * Every scenario: --items [40] (form length), --sources [n] (loopback source addresses,
 * one per 20,000 sockets by default), --label text, --ferret-bin path (another FerretDB binary).
 *
 * Each run starts its own FerretDB and API (and worker) processes, sets up its
 * exam through the HTTP API, ends with a loss audit, and writes
 * load-tests/results/load-<scenario>-<date>-<stamp>.json and .md.
 * Wrap heavy runs in `flock /tmp/bench.lock …` on a shared machine.
 */
import { parseArgs } from 'node:util';
import { checkSocketBudget, Run, seed, useSources, type Json } from './live/harness.js';
import { adaptive, adaptiveMarkdown } from './scenarios/adaptive.js';
import { bankBrowse, bankBrowseMarkdown } from './scenarios/bank-browse.js';
import { failover, failoverMarkdown } from './scenarios/failover.js';
import { joinStorm, joinStormMarkdown } from './scenarios/join-storm.js';
import { ladder, ladderMarkdown } from './scenarios/ladder.js';
import { steady, steadyMarkdown } from './scenarios/steady.js';
import { submitStorm, submitStormMarkdown } from './scenarios/submit-storm.js';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    candidates: { type: 'string' },
    interval: { type: 'string', default: '5000' },
    duration: { type: 'string' },
    ramp: { type: 'string' },
    window: { type: 'string' },
    within: { type: 'string', default: '3000' },
    'grade-timeout': { type: 'string', default: '600' },
    baseline: { type: 'string', default: '30' },
    authors: { type: 'string', default: '4' },
    think: { type: 'string', default: '1000' },
    bank: { type: 'string', default: '2000' },
    'edit-share': { type: 'string', default: '0.2' },
    before: { type: 'string', default: '20' },
    after: { type: 'string', default: '20' },
    'resume-within': { type: 'string', default: '10000' },
    rates: { type: 'string', default: '1000,2000,4000,6000,8000' },
    'p95-limit': { type: 'string', default: '2000' },
    'generator-nice': { type: 'string', default: '0' },
    items: { type: 'string', default: '40' },
    sources: { type: 'string' },
    label: { type: 'string', default: '' },
    'ferret-bin': { type: 'string', default: '' },
  },
});

const scenario = positionals[0] ?? '';
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));
const candidates = num(a.candidates, { steady: 5000, 'join-storm': 2000, 'submit-storm': 2000, 'bank-browse': 3000, failover: 2000, ladder: 4000, adaptive: 2000 }[scenario] ?? 0);
const common = { candidates, items: Number(a.items), label: a.label };

type Scenario = { parameters: Json; run: (r: Run) => Promise<void>; markdown: (r: Json) => string[] };
const scenarios: Record<string, () => Scenario> = {
  steady: () => {
    const o = { candidates, intervalMs: Number(a.interval), durationS: num(a.duration, 120), rampS: num(a.ramp, 30) };
    return { parameters: { ...common, ...o }, run: (r) => steady(r, o), markdown: steadyMarkdown };
  },
  'join-storm': () => {
    const o = { candidates, windowMs: num(a.window, 1000), withinMs: Number(a.within) };
    return { parameters: { ...common, ...o }, run: (r) => joinStorm(r, o), markdown: joinStormMarkdown };
  },
  'submit-storm': () => {
    const o = { candidates, intervalMs: Number(a.interval), durationS: num(a.duration, 60), rampS: num(a.ramp, 20), windowMs: num(a.window, 60_000), gradeTimeoutS: Number(a['grade-timeout']) };
    return { parameters: { ...common, ...o }, run: (r) => submitStorm(r, o), markdown: submitStormMarkdown };
  },
  'bank-browse': () => {
    const o = { candidates, intervalMs: Number(a.interval), durationS: num(a.duration, 60), rampS: num(a.ramp, 20), baselineS: Number(a.baseline), authors: Number(a.authors), thinkMs: Number(a.think), bank: Number(a.bank), editShare: Number(a['edit-share']) };
    return { parameters: { ...common, ...o }, run: (r) => bankBrowse(r, o), markdown: bankBrowseMarkdown };
  },
  failover: () => {
    const o = { candidates, intervalMs: Number(a.interval), rampS: num(a.ramp, 20), beforeS: Number(a.before), afterS: Number(a.after), resumeWithinMs: Number(a['resume-within']) };
    return { parameters: { ...common, ...o }, run: (r) => failover(r, o), markdown: failoverMarkdown };
  },
  adaptive: () => {
    const o = { candidates, maxItems: Number(a.items), poolSize: Number(a.bank), intervalMs: Number(a.interval), windowMs: num(a.window, 20_000) };
    return { parameters: { ...common, ...o }, run: (r) => adaptive(r, o), markdown: adaptiveMarkdown };
  },
  ladder: () => {
    const o = { candidates, rates: a.rates.split(',').map(Number), stepS: num(a.duration, 30), rampS: num(a.ramp, 30), p95LimitMs: Number(a['p95-limit']), generatorNice: Number(a['generator-nice']) };
    return { parameters: { ...common, ...o }, run: (r) => ladder(r, o), markdown: ladderMarkdown };
  },
};

const make = scenarios[scenario];
if (!make) {
  console.error(`usage: npm run load -- <${Object.keys(scenarios).join('|')}> [options]  (see load-tests/load.ts)`);
  process.exit(2);
}
const s = make();
checkSocketBudget(candidates);
useSources(num(a.sources, Math.ceil(candidates / 20_000)));
seed(`load-${scenario}-v1`);
const run = new Run(scenario, s.parameters, a['ferret-bin']);
let failure: unknown = null;
try {
  await run.open();
  await s.run(run);
} catch (err) {
  failure = err;
  console.error(err);
}
await run.close(failure, s.markdown);
