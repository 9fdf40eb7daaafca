/**
 * Shape of a response per item type (docs/item-types.md, "Response" of each type). The live
 * WebSocket path calls `validateResponse` before storing an `answer` frame and
 * answers `nack validation_failed` with the message when it fails.
 *
 * Shape only, never correctness: a numeric "abc" is a well-formed wrong answer
 * (a wrong answer, never an error). Partial answers are well formed too —
 * a cluster with two statements answered, a matching with one pair — because
 * candidates save as they go. Messages never mention the key.
 */
import type { ItemContent } from '../bank/item-types.js';
import { RESPONSE_LIMITS } from '../contracts/items.js';

/** The length caps are part of the item contract the browser shares. */
export { RESPONSE_LIMITS };

export type ResponseCheck = { ok: true } | { ok: false; message: string };

const OK: ResponseCheck = Object.freeze({ ok: true });

function fail(message: string): ResponseCheck {
  return { ok: false, message };
}

/**
 * Whether `r` may be stored as the response to `item`. `null` is accepted: it
 * clears the answer and scores like an absent one. `undefined` (the field
 * missing from the frame) is refused.
 */
export function validateResponse(item: ItemContent, r: unknown): ResponseCheck {
  if (r === undefined) return fail('The response is missing');
  if (r === null) return OK;
  switch (item.type) {
    case 'single_choice':
      if (typeof r !== 'string') return fail('A single_choice response is one option id');
      return oneOf(r, idsOf(item.options), 'option');
    case 'multiple_choice':
      return distinctIds(r, idsOf(item.options), 'option', 'A multiple_choice response is a list of option ids');
    case 'true_false':
      return typeof r === 'boolean' ? OK : fail('A true_false response is true or false');
    case 'true_false_cluster':
      return record(r, idsOf(item.statements), 'statement', 'A true_false_cluster response maps statement ids to true or false', (v) =>
        typeof v === 'boolean' ? OK : fail('Each statement is answered true or false'),
      );
    case 'numeric':
      if (typeof r === 'number') return Number.isFinite(r) ? OK : fail('A numeric response is a finite number');
      if (typeof r !== 'string') return fail('A numeric response is a number or a string');
      return withinLength(r, RESPONSE_LIMITS.numeric, 'A numeric response');
    case 'short_text':
      if (typeof r !== 'string') return fail('A short_text response is a string');
      return withinLength(r, RESPONSE_LIMITS.text, 'A short_text response');
    case 'matching': {
      const choices = idsOf(item.choices);
      return record(r, idsOf(item.premises), 'premise', 'A matching response maps premise ids to choice ids', (v) =>
        typeof v === 'string' ? oneOf(v, choices, 'choice') : fail('Each premise is matched to a choice id'),
      );
    }
    case 'ordering': {
      const elements = idsOf(item.elements);
      const check = distinctIds(r, elements, 'element', 'An ordering response is a list of element ids');
      if (!check.ok) return check;
      return Array.isArray(r) && r.length === elements.size ? OK : fail('An ordering response lists every element once');
    }
    case 'cloze': {
      const numericBlanks = new Set(item.blanks.filter((b) => 'value' in b).map((b) => b.id));
      const choiceBlanks = new Map(item.blanks.flatMap((b) => ('options' in b ? [[b.id, b] as const] : [])));
      return record(r, new Set(item.blanks.map((b) => b.id)), 'blank', 'A cloze response maps blank ids to answers', (v, id) => {
        const choice = choiceBlanks.get(id);
        if (choice) {
          if (choice.multiple) return distinctIds(v, idsOf(choice.options), 'option', 'A multiple choice blank is answered with a list of option ids');
          return typeof v === 'string' ? oneOf(v, idsOf(choice.options), 'option') : fail('A choice blank is answered with one option id');
        }
        if (typeof v === 'string') return withinLength(v, RESPONSE_LIMITS.text, 'A blank');
        if (typeof v === 'number' && numericBlanks.has(id)) {
          return Number.isFinite(v) ? OK : fail('A numeric blank is a finite number');
        }
        return fail('Each blank is answered with a string');
      });
    }
    case 'essay':
      if (typeof r !== 'string') return fail('An essay response is a string');
      return withinLength(r, RESPONSE_LIMITS.essay, 'An essay');
  }
}

function idsOf(list: readonly { id: string }[]): Set<string> {
  return new Set(list.map((x) => x.id));
}

// Ids come from the client: they are not echoed back, so a message stays short and harmless to log.
function oneOf(id: string, known: ReadonlySet<string>, what: string): ResponseCheck {
  return known.has(id) ? OK : fail(`Unknown ${what} id`);
}

function distinctIds(r: unknown, known: ReadonlySet<string>, what: string, shape: string): ResponseCheck {
  if (!Array.isArray(r) || !r.every((x): x is string => typeof x === 'string')) return fail(shape);
  const seen = new Set<string>();
  for (const id of r) {
    if (!known.has(id)) return fail(`Unknown ${what} id`);
    if (seen.has(id)) return fail(`The same ${what} id is listed twice`);
    seen.add(id);
  }
  return OK;
}

function record(
  r: unknown,
  keys: ReadonlySet<string>,
  what: string,
  shape: string,
  checkValue: (value: unknown, key: string) => ResponseCheck,
): ResponseCheck {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return fail(shape);
  const proto: unknown = Object.getPrototypeOf(r);
  if (proto !== Object.prototype && proto !== null) return fail(shape);
  for (const [key, value] of Object.entries(r)) {
    if (!keys.has(key)) return fail(`Unknown ${what} id`);
    const check = checkValue(value, key);
    if (!check.ok) return check;
  }
  return OK;
}

function withinLength(s: string, max: number, what: string): ResponseCheck {
  // Cheap bound first: NFC never has more code points than UTF-16 units.
  if (s.length <= max) return OK;
  let count = 0;
  for (const _ of s.normalize('NFC')) {
    count += 1;
    if (count > max) return fail(`${what} is longer than ${max} characters`);
  }
  return OK;
}
