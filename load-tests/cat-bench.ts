/**
 * Adaptive test selection benchmark (issue 22): how long `next()` takes to
 * choose the next item from a 10,000-item calibrated pool. Target: p99 ≤ 5 ms.
 *
 *   npm run bench:cat -- [--pool 10000] [--candidates 2000] [--length 30] [--out load-tests/results/cat-bench.json]
 *
 * Simulated candidates (θ ~ N(0, 1)) answer from the Rasch model; every
 * next() and record() call is timed on its own with performance.now(). The
 * first 100 candidates of each scenario warm up and are not counted.
 * Scenarios: the 16-cell simulation blueprint with each exposure control
 * (Sympson–Hetter parameters derived first, not timed), a 72-cell blueprint
 * (3 types × 6 topics × 4 levels, so up to 72 cells to search), no blueprint,
 * and a restore: every step from the state read back from JSON, as a server
 * does after a crash (record() then recomputes the likelihood from all answers).
 * Building the engine (checking the configuration, indexing the pool) is timed
 * once per scenario.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AdaptiveConfig, ExposureControl } from '../src/adaptive/adaptive-config.js';
import { createCatEngine, type AdaptiveState } from '../src/adaptive/cat-engine.js';
import type { AdaptiveBlueprint } from '../src/adaptive/content-balance.js';
import { probabilityRight } from '../src/adaptive/rasch-model.js';
import { normalDeviates, SIMULATION_BLUEPRINT, simulateBank, simulationRandom } from '../src/adaptive/simulation.js';
import { deriveSympsonHetter } from '../src/adaptive/sympson-hetter.js';

const { values: args } = parseArgs({
  options: {
    pool: { type: 'string', default: '10000' },
    candidates: { type: 'string', default: '2000' },
    length: { type: 'string', default: '30' },
    out: { type: 'string', default: 'load-tests/results/cat-bench.json' },
  },
});
const POOL = Number(args.pool);
const CANDIDATES = Number(args.candidates);
const LENGTH = Number(args.length);
const WARMUP = 100;
const TARGET_P99_MS = 5;
const log = (msg: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

const LEVELS = [1, 2, 3, 4] as const;
const WIDE: AdaptiveBlueprint = {
  sections: (['single_choice', 'true_false', 'numeric'] as const).map((type) => ({
    type,
    cells: ['t1', 't2', 't3', 't4', 't5', 't6'].flatMap((topic) => LEVELS.map((cognitiveLevel) => ({ topic, cognitiveLevel, count: 1 }))),
  })),
};

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
function summary(samples: number[]) {
  const sorted = Float64Array.from(samples).sort();
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { calls: sorted.length, p50Ms: r(percentile(sorted, 50)), p99Ms: r(percentile(sorted, 99)), p999Ms: r(percentile(sorted, 99.9)), maxMs: r(sorted[sorted.length - 1]!) };
}

function run(name: string, blueprint: AdaptiveBlueprint | undefined, exposure: ExposureControl, restore: boolean) {
  const items = simulateBank({ size: POOL, blueprint: blueprint ?? SIMULATION_BLUEPRINT, seed: `cat-bench:${name}` });
  const config: AdaptiveConfig = { ...(blueprint ? { blueprint } : {}), stop: { maxItems: LENGTH }, exposure };
  const built = performance.now();
  const engine = createCatEngine(items, config);
  const buildMs = Math.round((performance.now() - built) * 1000) / 1000;
  const thetas = normalDeviates(CANDIDATES + WARMUP, 0, 1, simulationRandom('cat-bench', name));
  const next: number[] = [];
  const record: number[] = [];
  let stateBytes = 0;
  thetas.forEach((theta, c) => {
    const random = simulationRandom('cat-bench', name, c);
    let state: AdaptiveState = engine.start(`cat-bench:${c}`);
    for (;;) {
      if (restore) state = JSON.parse(JSON.stringify(state)) as AdaptiveState;
      let t = performance.now();
      const step = engine.next(state);
      const nextMs = performance.now() - t;
      if (step.item === null) break;
      const b = step.state.items[step.state.items.length - 1]!.b!;
      const answer = random() < probabilityRight(theta, b);
      const delivered = restore ? (JSON.parse(JSON.stringify(step.state)) as AdaptiveState) : step.state;
      t = performance.now();
      state = engine.record(delivered, step.item.itemId, answer);
      const recordMs = performance.now() - t;
      if (c >= WARMUP) {
        next.push(nextMs);
        record.push(recordMs);
      }
    }
    if (c >= WARMUP) stateBytes = Math.max(stateBytes, Buffer.byteLength(JSON.stringify(state)));
  });
  const result = { name, pool: items.length, cells: engine.cells.length, exposure: exposure.method, buildMs, next: summary(next), record: summary(record), stateJsonBytesAt30: stateBytes };
  log(`${name}: engine built in ${buildMs} ms; next p50 ${result.next.p50Ms} ms, p99 ${result.next.p99Ms} ms, max ${result.next.maxMs} ms; record p99 ${result.record.p99Ms} ms`);
  return result;
}

const started = new Date();
log(`pool ${POOL}, ${CANDIDATES} candidates × ${LENGTH} items per scenario`);
const shItems = simulateBank({ size: POOL, blueprint: SIMULATION_BLUEPRINT, seed: 'cat-bench:16 cells, sympson-hetter' });
const sh = deriveSympsonHetter(shItems, { blueprint: SIMULATION_BLUEPRINT, stop: { maxItems: LENGTH } }, { rMax: 0.25, seed: 'cat-bench', simulees: 1000, maxRounds: 10 });
log(`Sympson–Hetter parameters: ${sh.rounds.length} rounds, last max exposure ${sh.rounds[sh.rounds.length - 1]!.maxExposure}`);
const scenarios = [
  run('16 cells, none', SIMULATION_BLUEPRINT, { method: 'none' }, false),
  run('16 cells, randomesque k=5', SIMULATION_BLUEPRINT, { method: 'randomesque', k: 5 }, false),
  run('16 cells, sympson-hetter', SIMULATION_BLUEPRINT, { method: 'sympson-hetter', parameters: sh.parameters }, false),
  run('72 cells, randomesque k=5', WIDE, { method: 'randomesque', k: 5 }, false),
  run('no blueprint, randomesque k=5', undefined, { method: 'randomesque', k: 5 }, false),
  run('16 cells, randomesque k=5, restored from JSON every step', SIMULATION_BLUEPRINT, { method: 'randomesque', k: 5 }, true),
];
const worstP99 = Math.max(...scenarios.map((s) => s.next.p99Ms));
const result = {
  benchmark: 'cat-bench',
  date: started.toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}`, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) },
  options: { pool: POOL, candidates: CANDIDATES, warmup: WARMUP, length: LENGTH },
  targetP99Ms: TARGET_P99_MS,
  worstNextP99Ms: worstP99,
  withinTarget: worstP99 <= TARGET_P99_MS,
  scenarios,
};
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
