/**
 * Adaptive exams (mode `adaptive`, docs/adaptive.md): the configuration
 * check at creation and the pool form built at assembly.
 *
 * An adaptive exam has one stored form, code "101", the pool form: every item
 * a candidate may be given (the blueprint cells' approved items that are
 * calibrated and scored right/wrong, plus the pretest items), with option
 * orders drawn once from the exam's seed, and beside them what the engine
 * needs (the pool's difficulties and cells, the configuration with the
 * blueprint, the seed). Publishing freezes it like any form; candidates
 * receive its items one at a time over the live socket, never the pool.
 */
import { createHash } from 'node:crypto';
import { AdaptiveConfigInvalid, type AdaptiveConfig, type AdaptiveItem, type ExposureControl, type PretestItem, type Score10Scale } from '../adaptive/adaptive-config.js';
import { resolveConfig } from '../adaptive/adaptive-config.js';
import { createCatEngine } from '../adaptive/cat-engine.js';
import { toAdaptiveItem } from '../adaptive/item-pool.js';
import type { AdaptivePoolForm } from '../adaptive/replay.js';
import { canonicalJson, rngFor, seededShuffle, shuffleKeepingFixed, type FormItem } from '../assembly/assembler.js';
import type { Blueprint } from '../assembly/blueprint-model.js';
import type { ItemRevision, ItemStatistics, PoolItem } from '../bank/item-types.js';
import type { AdaptiveSettings, AssembleSummary } from '../contracts/exams.js';
import type { ErrorDetail } from '../errors.js';

/** The one form code of an adaptive exam. */
export const POOL_FORM_CODE = '101';

function exposureOf(e: NonNullable<AdaptiveSettings['exposure']>): ExposureControl {
  if (e.method === 'randomesque') return { method: 'randomesque', k: e.k ?? 5 };
  if (e.method === 'sympson-hetter') return { method: 'sympson-hetter', parameters: e.parameters ?? {} };
  return { method: e.method } as ExposureControl;
}

/** The engine's configuration from the exam's settings, its blueprint and the pretest pins. */
export function engineConfig(settings: AdaptiveSettings, blueprint: Pick<Blueprint, 'sections'>, pretest: PretestItem[]): AdaptiveConfig {
  return {
    stop: settings.stop,
    ...(settings.prior ? { prior: settings.prior } : {}),
    ...(settings.exposure ? { exposure: exposureOf(settings.exposure) } : {}),
    ...(settings.score10 ? { score10: settings.score10 as Score10Scale } : {}),
    blueprint: {
      sections: blueprint.sections.map((s) => ({
        ...(s.title ? { title: s.title } : {}),
        ...(s.type ? { type: s.type } : {}),
        ...(s.pointsPerItem !== undefined ? { pointsPerItem: s.pointsPerItem } : {}),
        cells: s.cells.map((c) => ({ topic: c.topic, cognitiveLevel: c.cognitiveLevel, count: c.count })),
      })),
    },
    pretest: {
      items: pretest,
      ...(settings.pretest?.positions ? { positions: settings.pretest.positions } : {}),
      ...(settings.pretest?.rate !== undefined ? { rate: settings.pretest.rate } : {}),
      ...(settings.pretest?.maxPerCandidate !== undefined ? { maxPerCandidate: settings.pretest.maxPerCandidate } : {}),
    },
  };
}

/** Runs the engine's own checks; problems come back under `/adaptive`. */
function withAdaptivePaths<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AdaptiveConfigInvalid) {
      const details = (err.details ?? []) as ErrorDetail[];
      throw new AdaptiveConfigInvalid(details.map((d) => ({ ...d, path: `/adaptive${String(d.path ?? '').replace(/^\/pretest\/items\/(\d+)\/itemId$/, '/pretest/itemIds/$1')}` })));
    }
    throw err;
  }
}

/** The settings as the engine will take them, checked before the exam is stored (no pool yet). */
export function checkAdaptiveSettings(settings: AdaptiveSettings, blueprint: Pick<Blueprint, 'sections'>): void {
  const pretest = (settings.pretest?.itemIds ?? []).map((itemId) => ({ itemId, revision: 0 }));
  withAdaptivePaths(() => resolveConfig([], engineConfig(settings, blueprint, pretest)));
}

/** The section an item of the pool is delivered under: the first whose type and a cell match it. */
function sectionOf(blueprint: Pick<Blueprint, 'sections'>, item: Pick<ItemRevision, 'type' | 'topic' | 'cognitiveLevel'>): number {
  const i = blueprint.sections.findIndex((s) => (!s.type || s.type === item.type) && s.cells.some((c) => c.topic === item.topic && c.cognitiveLevel === item.cognitiveLevel));
  return Math.max(0, i);
}

export interface PoolFormDraft {
  items: FormItem[];
  adaptive: AdaptivePoolForm;
  hash: string;
  totalPoints: number;
  meanDifficulty: number;
  counts: NonNullable<AssembleSummary['adaptive']>;
}

/**
 * The pool form of an adaptive exam from the approved pools of its blueprint
 * cells (`pools[section][cell]`), their revisions (key included; only types
 * and scoring are read here) and item analysis' statistics. Throws the
 * engine's 422s: `adaptive_config_invalid` (a pretest item that is not an
 * approved item of the cells), `blueprint_infeasible` (too few calibrated
 * items for the maximum length's shares).
 */
export function poolForm(
  exam: { seed: string; adaptive: AdaptiveSettings },
  blueprint: Pick<Blueprint, 'sections'>,
  pools: readonly PoolItem[][][],
  revisions: readonly ItemRevision[],
  statistics: ReadonlyMap<string, ItemStatistics>,
): PoolFormDraft {
  const byId = new Map(revisions.map((r) => [r.itemId, r]));
  const inCells = new Map<string, PoolItem>();
  for (const item of pools.flat(2)) inCells.set(item.itemId, item);
  const pretestIds = exam.adaptive.pretest?.itemIds ?? [];
  const problems: ErrorDetail[] = [];
  const pretest: PretestItem[] = [];
  pretestIds.forEach((id, i) => {
    const item = inCells.get(id);
    if (!item || !byId.has(id)) problems.push({ path: `/adaptive/pretest/itemIds/${i}`, message: "is not an approved item of the blueprint's cells that the exam's organisation may use" });
    else pretest.push({ itemId: id, revision: item.revision });
  });
  if (problems.length) throw new AdaptiveConfigInvalid(problems);

  const pretestSet = new Set(pretestIds);
  const operational: AdaptiveItem[] = [];
  let uncalibrated = 0;
  let notDichotomous = 0;
  for (const id of [...inCells.keys()].sort()) {
    if (pretestSet.has(id)) continue;
    const rev = byId.get(id);
    if (!rev) continue;
    const entry = toAdaptiveItem(rev, statistics.get(id));
    if (entry) operational.push(entry);
    else if (statistics.get(id)?.raschDifficulty === undefined) uncalibrated++;
    else notDichotomous++;
  }
  const config = engineConfig(exam.adaptive, blueprint, pretest);
  // The engine's checks: the configuration with the pool, and the pool against the blueprint at the maximum length.
  withAdaptivePaths(() => createCatEngine(operational, config));

  const items: FormItem[] = [...operational, ...pretest].map((entry) => {
    const rev = byId.get(entry.itemId)!;
    const section = sectionOf(blueprint, rev);
    const spec = blueprint.sections[section];
    const rng = rngFor(exam.seed, 'adaptive-options', entry.itemId);
    const out: FormItem = { itemId: entry.itemId, revision: entry.revision, points: spec?.pointsPerItem ?? rev.points ?? 1, section };
    const shuffle = spec?.shuffleOptions !== false && rev.shuffleOptions !== false;
    if ((rev.type === 'single_choice' || rev.type === 'multiple_choice') && rev.options) {
      out.optionOrder = shuffle ? shuffleKeepingFixed(rev.options, rng) : rev.options.map((o) => o.id);
    } else if (rev.type === 'ordering' && rev.elements) {
      out.elementOrder = seededShuffle(rev.elements.map((e) => e.id), rng);
    }
    return out;
  });
  const adaptive: AdaptivePoolForm = { seed: exam.seed, config, pool: operational };
  const meanDifficulty = operational.length ? Math.round((operational.reduce((s, i) => s + i.b, 0) / operational.length) * 10_000) / 10_000 : 0;
  const totalPoints = blueprint.sections.reduce((sum, s) => sum + s.cells.reduce((n, c) => n + c.count, 0) * (s.pointsPerItem ?? 1), 0);
  return {
    items,
    adaptive,
    hash: hashOf(items, adaptive),
    totalPoints,
    meanDifficulty,
    counts: { operational: operational.length, pretest: pretest.length, left: { uncalibrated, notDichotomous } },
  };
}

/** The pool form's hash: its items and what the engine reads, so the same bank, blueprint, settings and seed give the same hash. */
function hashOf(items: FormItem[], adaptive: AdaptivePoolForm): string {
  return createHash('sha256').update(canonicalJson({ items, adaptive })).digest('hex');
}
