/**
 * The ids a candidate sees for options, statements, premises, choices and
 * elements. Authored ids are often the key in disguise: importers and the
 * editor number them in authored order, so ordering items arrive as e1..en
 * with the key e1..en, matching pairs p_i with c_i, and the right answer of
 * an imported single choice is often A. Candidates therefore get per-form
 * opaque tokens instead, and answers are turned back into authored ids at
 * the candidate boundary, before they are checked, stored or scored:
 * attempts, grading, analysis and manual grading only ever see authored ids.
 *
 * A token is an HMAC of (form code, item id, field kind, authored id) under
 * a random secret kept on the form document. The same form gives the same
 * tokens in every process (a reconnect to another process resends what the
 * browser's outbox holds); without the secret a token says nothing about the
 * authored id, its position or another form's token for the same option.
 * Cloze blanks keep their ids: they are markers in the text. The options of
 * a choice blank get tokens (kind `blankOption`, one namespace per blank), and
 * a shuffled choice blank is dealt in token order: a per-form order every
 * process computes alike, with nothing stored.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ItemContent, ItemType } from '../bank/item-types.js';

export type IdKind = 'option' | 'statement' | 'premise' | 'choice' | 'element' | 'blankOption';

/** The authored id under kind `blankOption`: blank id and option id (ids never hold NUL). */
export function blankOptionKey(blankId: string, optionId: string): string {
  return `${blankId}\u0000${optionId}`;
}

/** A fresh secret for one form's tokens; stored on the form, outside its hash, never sent to anyone. */
export function newDeliverySecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The secret of a form stored before forms carried one: derived from the
 * form's id under a server key, so every process that delivers the form first
 * arrives at the same secret without depending on the database to serialise
 * a conditional write (FerretDB over SQLite does not), and storing it is
 * idempotent. Without the key nobody can compute it from the form id.
 */
export function legacyDeliverySecret(key: string, formId: string): string {
  return createHmac('sha256', key).update(`delivery-secret\u0000${formId}`).digest('base64url');
}

// Authored ids match ^[A-Za-z0-9_-]{1,32}$; '~' is outside that alphabet, so a token can never equal one.
const TOKEN_PREFIX = '~';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** 10 base32 characters: 50 bits, all tokens the same length (so none is a prefix of another). */
const TOKEN_CHARS = 10;

function token(secret: string, formCode: string, itemId: string, kind: IdKind, authoredId: string, round: number): string {
  const mac = createHmac('sha256', secret).update(`${formCode}\u0000${itemId}\u0000${kind}\u0000${authoredId}\u0000${round}`).digest();
  let out = TOKEN_PREFIX;
  for (let i = 0; i < TOKEN_CHARS; i++) {
    // Five bits at a time from the front of the MAC.
    const bit = i * 5;
    const pair = (mac[bit >> 3]! << 8) | mac[(bit >> 3) + 1]!;
    out += BASE32[(pair >> (11 - (bit & 7))) & 31];
  }
  return out;
}

interface Lists {
  toToken: Map<string, string>;
  toAuthored: Map<string, string>;
}

interface ItemIds {
  type: ItemType;
  kinds: Partial<Record<IdKind, Lists>>;
  /** cloze: ids of the choice blanks (their answers are option ids to translate). */
  choiceBlanks: ReadonlySet<string>;
}

/** The id lists of an item that candidates pick from, by kind. */
function pickLists(item: ItemContent): [IdKind, readonly { id: string }[]][] {
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice':
      return [['option', item.options]];
    case 'true_false_cluster':
      return [['statement', item.statements]];
    case 'matching':
      return [['premise', item.premises], ['choice', item.choices]];
    case 'ordering':
      return [['element', item.elements]];
    case 'cloze':
      return [['blankOption', item.blanks.flatMap((b) => ('options' in b ? b.options.map((o) => ({ id: blankOptionKey(b.id, o.id) })) : []))]];
    default:
      return [];
  }
}

function choiceBlanksOf(item: ItemContent): Set<string> {
  return new Set(item.type === 'cloze' ? item.blanks.filter((b) => 'options' in b).map((b) => b.id) : []);
}

export type Translation = { ok: true; response: unknown } | { ok: false; message: string };

type Lookup = (kind: IdKind, id: string) => string | undefined;

const isPlainObject = (r: unknown): r is Record<string, unknown> => {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
  const proto: unknown = Object.getPrototypeOf(r);
  return proto === Object.prototype || proto === null;
};

/**
 * Replaces every id in a response through `lookup`. An id it does not know
 * fails the whole response; a response of the wrong shape is returned as it
 * is, for the shape check (validateResponse) to refuse with its own message.
 */
function translate(type: ItemType, r: unknown, lookup: Lookup, choiceBlanks: ReadonlySet<string>, toToken: boolean): Translation {
  if (r === null || r === undefined) return { ok: true, response: r };
  const one = (kind: IdKind, id: string): string | null => lookup(kind, id) ?? null;
  const unknown = (what: string): Translation => ({ ok: false, message: `Unknown ${what} id` });
  switch (type) {
    case 'single_choice': {
      if (typeof r !== 'string') break;
      const id = one('option', r);
      return id === null ? unknown('option') : { ok: true, response: id };
    }
    case 'multiple_choice':
    case 'ordering': {
      if (!Array.isArray(r) || !r.every((x): x is string => typeof x === 'string')) break;
      const kind = type === 'ordering' ? 'element' : 'option';
      const out: string[] = [];
      for (const x of r) {
        const id = one(kind, x);
        if (id === null) return unknown(kind);
        out.push(id);
      }
      return { ok: true, response: out };
    }
    case 'true_false_cluster':
    case 'matching': {
      if (!isPlainObject(r)) break;
      const keyKind = type === 'matching' ? 'premise' : 'statement';
      const out: [string, unknown][] = [];
      for (const [key, value] of Object.entries(r)) {
        const id = one(keyKind, key);
        if (id === null) return unknown(keyKind);
        if (type === 'matching' && typeof value === 'string') {
          const choice = one('choice', value);
          if (choice === null) return unknown('choice');
          out.push([id, choice]);
        } else {
          out.push([id, value]);
        }
      }
      return { ok: true, response: Object.fromEntries(out) };
    }
    case 'cloze': {
      if (!isPlainObject(r) || choiceBlanks.size === 0) break;
      // Authored option ids are looked up under their blank; tokens are unique across the item.
      const option = (blank: string, id: string): string | null => {
        const found = one('blankOption', toToken ? blankOptionKey(blank, id) : id);
        if (found === null) return null;
        if (toToken) return found;
        const [owner, optionId] = found.split('\u0000');
        return owner === blank ? optionId! : null;
      };
      const out: [string, unknown][] = [];
      for (const [key, value] of Object.entries(r)) {
        if (!choiceBlanks.has(key)) {
          out.push([key, value]);
        } else if (typeof value === 'string') {
          const id = option(key, value);
          if (id === null) return unknown('blank option');
          out.push([key, id]);
        } else if (Array.isArray(value) && value.every((x): x is string => typeof x === 'string')) {
          const ids: string[] = [];
          for (const x of value) {
            const id = option(key, x);
            if (id === null) return unknown('blank option');
            ids.push(id);
          }
          out.push([key, ids]);
        } else {
          out.push([key, value]);
        }
      }
      return { ok: true, response: Object.fromEntries(out) };
    }
    default:
      break;
  }
  return { ok: true, response: r };
}

/** The tokens of one form: built once per form and process, then only read. */
export class DeliveryIds {
  private readonly items = new Map<string, ItemIds>();

  /** `items`: the form's pinned revisions by item id. */
  constructor(secret: string, formCode: string, items: Iterable<readonly [string, ItemContent]>) {
    if (!secret) throw new Error('a form needs its delivery secret');
    for (const [itemId, item] of items) {
      const used = new Set<string>();
      const kinds: ItemIds['kinds'] = {};
      for (const [kind, list] of pickLists(item)) {
        const lists: Lists = { toToken: new Map(), toAuthored: new Map() };
        for (const { id } of list) {
          // A clash inside one item (about 2^-50 per pair) moves the later id, in authored order, to the next round: every process picks the same.
          let round = 0;
          let t = token(secret, formCode, itemId, kind, id, round);
          while (used.has(t)) t = token(secret, formCode, itemId, kind, id, ++round);
          used.add(t);
          lists.toToken.set(id, t);
          lists.toAuthored.set(t, id);
        }
        kinds[kind] = lists;
      }
      this.items.set(itemId, { type: item.type, kinds, choiceBlanks: choiceBlanksOf(item) });
    }
  }

  /** The token of an authored id. Throws for an id the item does not have: a form is never delivered half-translated. */
  delivered(itemId: string, kind: IdKind, authoredId: string): string {
    const t = this.items.get(itemId)?.kinds[kind]?.toToken.get(authoredId);
    if (t === undefined) throw new Error(`${itemId} has no ${kind} ${authoredId}`);
    return t;
  }

  /** A response as a candidate sent it, in authored ids; an id this form did not deliver fails it. */
  toAuthored(itemId: string, response: unknown): Translation {
    const ids = this.items.get(itemId);
    if (!ids) return { ok: true, response };
    return translate(ids.type, response, (kind, id) => ids.kinds[kind]?.toAuthored.get(id), ids.choiceBlanks, false);
  }

  /** A stored response (authored ids) as the candidate's client shows it. */
  toDelivered(itemId: string, response: unknown): Translation {
    const ids = this.items.get(itemId);
    if (!ids) return { ok: true, response };
    return translate(ids.type, response, (kind, id) => ids.kinds[kind]?.toToken.get(id), ids.choiceBlanks, true);
  }

  /**
   * Stored answers as the candidate's client shows them. An answer that no
   * longer translates (a re-pinned revision dropped the option) is left out
   * rather than sent with an authored id; it stays stored and graded as it is.
   */
  answersToDelivered(answers: Iterable<readonly [string, unknown]>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [itemId, response] of answers) {
      const t = this.toDelivered(itemId, response);
      if (t.ok) out[itemId] = t.response;
    }
    return out;
  }
}
