/**
 * Exposure control: which of the informative items a candidate actually gets.
 *
 * Maximum information alone gives every candidate of similar ability the same
 * items, so a few items would be seen by most of a school and leak. Two
 * classic remedies, chosen per test:
 *
 * - Randomesque (Kingsbury & Zara, 1989): a seeded draw among the k most
 *   informative eligible items. Simple, no calibration run; it spreads the
 *   first items over k but gives no bound on any item's exposure.
 * - Sympson–Hetter (1985): each item i has a parameter K_i in (0, 1]. Items
 *   are tried in order of information; item i is given with probability K_i,
 *   otherwise it is passed over for the rest of this candidate's test and the
 *   next item is tried. With parameters from `deriveSympsonHetter`, the share
 *   of candidates who see any item stays near or below a target r_max. If
 *   every eligible item is passed over, the first of them is given anyway
 *   (the test must go on), which the derivation's simulations include.
 *
 * Every draw comes from the seeded stream handed in, so a restored state gives
 * the same item.
 */
import type { ExposureControl } from './adaptive-config.js';
import type { Candidate, NearestItems } from './selection.js';

export interface ExposureChoice {
  chosen: Candidate | null;
  /** Pool indices Sympson–Hetter passed over in this selection. */
  passedOver: number[];
}

/**
 * Picks from items offered in order of decreasing information. `parameters` is
 * the Sympson–Hetter K per pool index (only read for that method).
 */
export function chooseWithExposureControl(
  offered: NearestItems,
  control: ExposureControl,
  parameters: Float64Array | null,
  random: () => number,
): ExposureChoice {
  if (control.method === 'none') return { chosen: offered.next(), passedOver: [] };
  if (control.method === 'randomesque') {
    const best: Candidate[] = [];
    while (best.length < control.k) {
      const c = offered.next();
      if (c === null) break;
      best.push(c);
    }
    return { chosen: best.length === 0 ? null : best[Math.floor(random() * best.length)]!, passedOver: [] };
  }
  const passedOver: Candidate[] = [];
  for (let c = offered.next(); c !== null; c = offered.next()) {
    if (random() < parameters![c.item]!) return { chosen: c, passedOver: passedOver.map((p) => p.item) };
    passedOver.push(c);
  }
  // Everything eligible was passed over: the most informative of them is given after all.
  const [first, ...rest] = passedOver;
  return { chosen: first ?? null, passedOver: rest.map((p) => p.item) };
}

/** Sympson–Hetter parameters by pool index; items without one get 1 (never held back). */
export function parameterArray(itemIds: readonly string[], parameters: Readonly<Record<string, number>>): Float64Array {
  return Float64Array.from(itemIds, (id) => (Object.hasOwn(parameters, id) ? parameters[id]! : 1));
}
