// Exposure control in small simulations: without it the same items reach most
// candidates; randomesque spreads them; Sympson–Hetter parameters derived by
// simulation bound the exposure of every item on fresh candidates.
import t from 'tap';
import type { AdaptiveConfig, ExposureControl } from '../../src/adaptive/adaptive-config.js';
import { createCatEngine } from '../../src/adaptive/cat-engine.js';
import { overlapReport } from '../../src/adaptive/overlap.js';
import { normalDeviates, simulateBank, simulateCandidate, simulationRandom } from '../../src/adaptive/simulation.js';
import { deriveSympsonHetter } from '../../src/adaptive/sympson-hetter.js';
import { SMALL_BLUEPRINT } from '../support/adaptive.js';

const bank = simulateBank({ size: 300, blueprint: SMALL_BLUEPRINT, seed: 'exposure-tests' });
const base: Omit<AdaptiveConfig, 'exposure'> = { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 12 } };
const thetas = normalDeviates(600, 0, 1, simulationRandom('exposure-population'));

function maxExposure(exposure: ExposureControl): number {
  const engine = createCatEngine(bank, { ...base, exposure });
  const tests = Array.from(thetas, (theta, s) => simulateCandidate(engine, theta, `exposure-${s}`).result.items.map((i) => i.itemId));
  return overlapReport(tests).maxExposure;
}

t.test('Sympson–Hetter parameters derived by simulation keep every item under r_max', async (t) => {
  const none = maxExposure({ method: 'none' });
  t.ok(none > 0.9, `without control the first item reaches everyone (${none})`);
  const randomesque = maxExposure({ method: 'randomesque', k: 8 });
  t.ok(randomesque < none && randomesque < 0.3, `randomesque k = 8 spreads it (${randomesque})`);

  const rMax = 0.3;
  const derived = deriveSympsonHetter(bank, base, { rMax, simulees: 400, seed: 'sh-derivation', maxRounds: 20 });
  t.ok(derived.converged, `converged in ${derived.rounds.length} rounds`);
  t.equal(derived.rounds[0]!.maxExposure, 1, 'round 1 runs without control');
  t.ok(Object.values(derived.parameters).every((k) => k > 0 && k < 1), 'only items held back are listed');
  // Fresh candidates, not those the parameters were derived on; a small allowance for 600 draws.
  const controlled = maxExposure({ method: 'sympson-hetter', parameters: derived.parameters });
  t.ok(controlled <= rMax + 0.03, `largest exposure on fresh candidates ${controlled} ≤ ${rMax} (+0.03 sampling)`);
});

t.test('an item held back by Sympson–Hetter is passed over and not offered again', async (t) => {
  const open = createCatEngine(bank, { ...base, exposure: { method: 'none' } });
  const first = open.next(open.start('held')).item!.itemId;
  const held = createCatEngine(bank, { ...base, exposure: { method: 'sympson-hetter', parameters: { [first]: 1e-12 } } });
  const { state } = simulateCandidate(held, 0, 'held');
  t.not(state.items[0]!.itemId, first, 'the most informative item is not given');
  t.same(state.passedOver, [first], 'it is recorded as passed over');
  t.notOk(
    state.items.some((i) => i.itemId === first),
    'and never given later',
  );
});
