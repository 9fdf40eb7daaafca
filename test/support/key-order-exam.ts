/**
 * A published exam whose keys follow the authored order of the ids, as
 * importers and the editor leave them: an ordering item e1..e6 whose order
 * is e1..e6, a matching item pairing p_i with c_i, and a single choice whose
 * right answer is A. Built through the HTTP API; for the tests that try to
 * read the key from the ids a candidate receives.
 */
import type { FastifyInstance } from 'fastify';
import { publishedExam, type PublishedExam } from './exam-fixture.js';

const common = { subject: 'math', grade: 12 };

/** The authored items; texts are distinct so an honest candidate can answer by reading them. */
export const KEY_ORDER_ITEMS = {
  ordering: {
    ...common,
    type: 'ordering',
    stem: '<p>Sắp xếp các triều đại theo trình tự thời gian</p>',
    elements: ['Nhà Ngô', 'Nhà Đinh', 'Nhà Tiền Lê', 'Nhà Lý', 'Nhà Trần', 'Nhà Hồ'].map((text, i) => ({ id: `e${i + 1}`, text })),
    order: ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'],
  },
  matching: {
    ...common,
    type: 'matching',
    stem: '<p>Nối mỗi nước với thủ đô của nước đó</p>',
    premises: ['Việt Nam', 'Nhật Bản', 'Pháp', 'Ai Cập', 'Peru'].map((text, i) => ({ id: `p${i + 1}`, text })),
    choices: ['Hà Nội', 'Tokyo', 'Paris', 'Cairo', 'Lima'].map((text, i) => ({ id: `c${i + 1}`, text })),
    pairs: { p1: 'c1', p2: 'c2', p3: 'c3', p4: 'c4', p5: 'c5' } as Record<string, string>,
  },
  single_choice: {
    ...common,
    type: 'single_choice',
    stem: '<p>Hai cộng hai bằng bao nhiêu?</p>',
    options: [
      { id: 'A', text: 'Bốn' },
      { id: 'B', text: 'Ba' },
      { id: 'C', text: 'Năm' },
      { id: 'D', text: 'Hai mươi hai' },
    ],
    correct: ['A'],
  },
};

export type KeyOrderType = keyof typeof KEY_ORDER_ITEMS;

/** An item as a candidate receives it in the `state` frame. */
export interface DeliveredItem {
  itemId: string;
  type: string;
  options?: { id: string; text: string }[];
  premises?: { id: string; text: string }[];
  choices?: { id: string; text: string }[];
  elements?: { id: string; text: string }[];
}

export interface KeyOrderExam extends PublishedExam {
  /** The item of each type. */
  ids: Record<KeyOrderType, string>;
}

/** The exam, published with `formCount` forms carrying the same three items (so two forms deliver the same options). */
export async function keyOrderExam(app: FastifyInstance, options: { candidates?: number; formCount?: number; prefix?: string } = {}): Promise<KeyOrderExam> {
  const types = Object.keys(KEY_ORDER_ITEMS) as KeyOrderType[];
  const fx = await publishedExam(app, {
    candidates: options.candidates ?? 3,
    formCount: options.formCount ?? 2,
    prefix: options.prefix ?? 'ko',
    bodies: types.map((type) => ({ ...KEY_ORDER_ITEMS[type] })),
    constraints: { maxItemOverlap: 1, difficultyTolerance: 1 },
  });
  return { ...fx, ids: Object.fromEntries(types.map((type, i) => [type, fx.itemIds[i]!])) as Record<KeyOrderType, string> };
}

/** The delivered id of the entry with this text (the candidate reads the text, never the id). */
export function idOfText(list: readonly { id: string; text: string }[] | undefined, text: string): string {
  const hit = list?.find((x) => x.text === text);
  if (!hit) throw new Error(`no delivered entry reads "${text}"`);
  return hit.id;
}

/** The right response to a delivered item, found by reading the texts: what an honest candidate who knows the answers sends. */
export function rightByText(item: DeliveredItem): unknown {
  switch (item.type) {
    case 'ordering': {
      const authored = KEY_ORDER_ITEMS.ordering;
      return authored.order.map((id) => idOfText(item.elements, authored.elements.find((e) => e.id === id)!.text));
    }
    case 'matching': {
      const authored = KEY_ORDER_ITEMS.matching;
      return Object.fromEntries(
        authored.premises.map((p) => [idOfText(item.premises, p.text), idOfText(item.choices, authored.choices.find((c) => c.id === authored.pairs[p.id])!.text)]),
      );
    }
    case 'single_choice':
      return idOfText(item.options, KEY_ORDER_ITEMS.single_choice.options[0].text);
    default:
      throw new Error(`no key-order item of type ${item.type}`);
  }
}
