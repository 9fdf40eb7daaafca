import type { ItemContent, ItemType, Labelled } from '../bank/item-types.js';
import { ids, type ItemDraft, type ReadMeta } from './model.js';

/**
 * Small builders shared by the parsers, so every format produces items the
 * same way: ids by the conventions of model.ts, metadata from tags, the
 * default essay rubric.
 */

export function labelled(texts: string[], id: (i: number) => string): Labelled[] {
  return texts.map((text, i) => ({ id: id(i), text }));
}

/** Formats without a rubric give an essay one criterion worth the item's points. */
export function defaultRubric(points: number | undefined, language: string | undefined): { criterion: string; maxPoints: number }[] {
  return [{ criterion: language === 'en' ? 'Overall' : 'Đánh giá chung', maxPoints: points ?? 1 }];
}

/** Common fields first, then the type's own: the order a person reading JSON expects. */
export function draft<T extends ItemType>(type: T, stem: string, meta: ReadMeta['common'], fields: Record<string, unknown>): ItemDraft {
  return { type, stem, ...meta, ...fields } as unknown as ItemDraft;
}

/** Premise/choice lists and pairs from `premise -> choice` rows; an empty premise is a distractor. */
export function matchingFromRows(rows: { premise: string; choice: string }[]): { premises: Labelled[]; choices: Labelled[]; pairs: Record<string, string> } {
  const choiceIds = new Map<string, string>();
  const choices: Labelled[] = [];
  const premises: Labelled[] = [];
  const pairs: Record<string, string> = {};
  for (const row of rows) {
    let cid = choiceIds.get(row.choice);
    if (cid === undefined) {
      cid = ids.choice(choices.length);
      choiceIds.set(row.choice, cid);
      choices.push({ id: cid, text: row.choice });
    }
    if (row.premise !== '') {
      const pid = ids.premise(premises.length);
      premises.push({ id: pid, text: row.premise });
      pairs[pid] = cid;
    }
  }
  return { premises, choices, pairs };
}

/** Rows of a matching item: each premise with its choice, then choices no premise takes. */
export function matchingRows(item: Extract<ItemContent, { type: 'matching' }>): { premise: string; choice: string }[] {
  const text = new Map(item.choices.map((c) => [c.id, c.text]));
  const used = new Set<string>();
  const rows = item.premises.map((p) => {
    const cid = item.pairs[p.id]!;
    used.add(cid);
    return { premise: p.text, choice: text.get(cid) ?? '' };
  });
  for (const c of item.choices) if (!used.has(c.id)) rows.push({ premise: '', choice: c.text });
  return rows;
}
