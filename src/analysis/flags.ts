/**
 * Review flags for items, from their classical statistics. Each flag names its
 * reason (a stable code), a sentence for the exam manager and the number that
 * triggered it, so the screen can sort and explain without recomputing.
 */
import type { CttItem } from './ctt.js';
import type { FlagThresholds, ItemFlag } from './types.js';

export const DEFAULT_FLAG_THRESHOLDS: Readonly<FlagThresholds> = Object.freeze({
  minPValue: 0.2,
  maxPValue: 0.9,
  minDiscrimination: 0.2,
  maxDistractorPointBiserial: 0,
});

export function flagItem(item: CttItem, thresholds: FlagThresholds = DEFAULT_FLAG_THRESHOLDS): ItemFlag[] {
  const flags: ItemFlag[] = [];
  const round = (x: number): string => x.toFixed(2);
  if (item.pValue !== null && item.pValue < thresholds.minPValue) {
    flags.push({
      reason: 'too_hard',
      message: `p-value ${round(item.pValue)} is below ${thresholds.minPValue}`,
      value: item.pValue,
    });
  }
  if (item.pValue !== null && item.pValue > thresholds.maxPValue) {
    flags.push({
      reason: 'too_easy',
      message: `p-value ${round(item.pValue)} is above ${thresholds.maxPValue}`,
      value: item.pValue,
    });
  }
  if (item.discrimination !== null && item.discrimination < thresholds.minDiscrimination) {
    flags.push({
      reason: 'low_discrimination',
      message: `upper–lower discrimination ${round(item.discrimination)} is below ${thresholds.minDiscrimination}`,
      value: item.discrimination,
    });
  }

  const options = Object.entries(item.options);
  const keys = options.filter(([, o]) => o.key);
  if (keys.length === 0) return flags; // without a key there are no distractors to judge
  const distractors = options.filter(([, o]) => !o.key);
  for (const [optionId, o] of distractors) {
    if (o.pointBiserial !== null && o.pointBiserial > thresholds.maxDistractorPointBiserial) {
      flags.push({
        reason: 'distractor_positive_point_biserial',
        message: `distractor ${optionId} attracts stronger candidates (point-biserial ${round(o.pointBiserial)})`,
        optionId,
        value: o.pointBiserial,
      });
    }
  }
  // Wrong key: in the upper group a distractor outdraws the (least chosen) key.
  const keyUpper = Math.min(...keys.map(([, o]) => o.upperShare ?? Infinity));
  if (Number.isFinite(keyUpper)) {
    let worst: [string, number] | null = null;
    for (const [optionId, o] of distractors) {
      if (o.upperShare !== null && o.upperShare > keyUpper && (worst === null || o.upperShare > worst[1])) {
        worst = [optionId, o.upperShare];
      }
    }
    if (worst !== null) {
      flags.push({
        reason: 'possible_wrong_key',
        message:
          `in the upper group ${worst[0]} is chosen by ${(worst[1] * 100).toFixed(0)}% ` +
          `against ${(keyUpper * 100).toFixed(0)}% for the key`,
        optionId: worst[0],
        value: worst[1],
      });
    }
  }
  return flags;
}
