/**
 * Deriving Sympson–Hetter exposure parameters by simulation (Sympson &
 * Hetter, 1985), so that no item is given to more than a share r_max of the
 * candidates.
 *
 * Start with K_i = 1 for every item. Each round simulates candidates drawn
 * from the population through the adaptive test with the current K and
 * counts, per item, how often it was *selected* (reached the lottery: given
 * or passed over), P(S_i), and how often it was *given*, P(A_i) ≈ K_i·P(S_i).
 * If the largest P(A_i) is at most r_max the parameters are done. Otherwise
 * K_i becomes target / P(S_i) for every item with P(S_i) > target and 1 for the
 * others, and the next round starts. `target` sits a little below r_max
 * (default r_max − 0.02) so that the sampling noise of a finite simulation
 * does not leave the bound barely exceeded. Each round draws fresh candidates;
 * the parameters returned are those of the round with the lowest maximum
 * exposure (the last one when it converged).
 *
 * The parameters belong to the pool, the blueprint, the stopping rules and the
 * population: derive them again when any of these changes.
 */
import type { NormalPrior } from './ability.js';
import { createCatEngine } from './cat-engine.js';
import type { AdaptiveConfig, AdaptiveItem } from './adaptive-config.js';
import { normalDeviates, simulateCandidate, simulationRandom } from './simulation.js';

export interface SympsonHetterOptions {
  /** Largest share of candidates any item may reach. */
  rMax: number;
  /** Share the update aims at. @defaultValue rMax − 0.02 */
  target?: number;
  /** Simulated candidates per round. @defaultValue 2000 */
  simulees?: number;
  /** @defaultValue 20 */
  maxRounds?: number;
  seed: string;
  /** Ability distribution of the simulated candidates. @defaultValue the configuration's prior, else N(0, 1) */
  population?: NormalPrior;
}

export interface SympsonHetterRound {
  round: number;
  /** Largest P(A_i) observed with this round's parameters. */
  maxExposure: number;
  /** Largest P(S_i). */
  maxSelection: number;
  /** Items whose parameter was below 1 in this round. */
  itemsHeldBack: number;
}

export interface SympsonHetterDerivation {
  /** K by itemId; items not listed have K = 1. */
  parameters: Record<string, number>;
  rounds: SympsonHetterRound[];
  converged: boolean;
}

export function deriveSympsonHetter(
  items: readonly AdaptiveItem[],
  config: Omit<AdaptiveConfig, 'exposure'>,
  options: SympsonHetterOptions,
): SympsonHetterDerivation {
  const simulees = options.simulees ?? 2000;
  const maxRounds = options.maxRounds ?? 20;
  const target = options.target ?? options.rMax - 0.02;
  const population = options.population ?? config.prior ?? { mean: 0, sd: 1 };
  const K = new Float64Array(items.length).fill(1);
  const indexOf = new Map(items.map((item, i) => [item.itemId, i]));
  const rounds: SympsonHetterRound[] = [];
  let best: { maxExposure: number; parameters: Record<string, number> } | null = null;
  for (let round = 1; round <= maxRounds; round++) {
    const parameters: Record<string, number> = {};
    let heldBack = 0;
    K.forEach((k, i) => {
      if (k < 1) {
        parameters[items[i]!.itemId] = k;
        heldBack++;
      }
    });
    // Pretest items take positions but never operational items' places: left out here.
    const engine = createCatEngine(items, { ...config, pretest: undefined, exposure: { method: 'sympson-hetter', parameters } });
    const thetas = normalDeviates(simulees, population.mean, population.sd, simulationRandom(options.seed, 'sh-population', round));
    const selected = new Float64Array(items.length);
    const given = new Float64Array(items.length);
    thetas.forEach((theta, s) => {
      const { state } = simulateCandidate(engine, theta, `${options.seed}\u0000sh\u0000${round}\u0000${s}`);
      for (const item of state.items) {
        const i = indexOf.get(item.itemId);
        if (i === undefined) continue;
        given[i]!++;
        selected[i]!++;
      }
      for (const id of state.passedOver) selected[indexOf.get(id)!]!++;
    });
    let maxExposure = 0;
    let maxSelection = 0;
    for (let i = 0; i < items.length; i++) {
      maxExposure = Math.max(maxExposure, given[i]! / simulees);
      maxSelection = Math.max(maxSelection, selected[i]! / simulees);
    }
    rounds.push({ round, maxExposure, maxSelection, itemsHeldBack: heldBack });
    if (best === null || maxExposure < best.maxExposure) best = { maxExposure, parameters };
    if (maxExposure <= options.rMax) return { parameters, rounds, converged: true };
    for (let i = 0; i < items.length; i++) {
      const ps = selected[i]! / simulees;
      K[i] = ps > target ? target / ps : 1;
    }
  }
  return { parameters: best!.parameters, rounds, converged: false };
}
