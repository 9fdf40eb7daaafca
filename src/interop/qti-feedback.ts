import type { ItemFeedback } from '../bank/item-types.js';
import { parseNumber, type ItemDraft } from './model.js';
import { attr, child, elements, findAll, textOf, type XElement } from './xml.js';

/**
 * QTI feedback (modal feedback, inline feedback, feedback blocks) as the
 * item's feedback, read from what response processing does rather than from
 * the names authors give: a feedback element is shown when its outcome holds
 * its identifier, so the conditions under which response processing puts
 * that identifier there say what the feedback is for.
 *
 * - Set with no condition: `general`.
 * - Set when the response matches the correct response (the item's only
 *   response), or when SCORE reaches MAXSCORE (or the most the processing
 *   can give): `correct`; in the other branch: `incorrect`, and `partial`
 *   too where the item can score in part; a branch on SCORE above 0 under
 *   "not correct": `partial`.
 * - The outcome set to the response itself (FEEDBACK = RESPONSE), or set when
 *   the response is one choice: that option's feedback (a true/false item's
 *   two choices give its correct and incorrect feedback).
 * - An outcome compared in a later condition (ONYX's FEEDBACKBASIC) is
 *   followed to the condition that set it.
 *
 * - Set when an end-attempt interaction (a hint button) is pressed: a hint.
 *
 * Anything else (per-gap feedback, feedback shown when a response is empty
 * or lacks one option, hidden-when feedback) is left to the
 * reader's warnings, which name it.
 */

/** What one feedback element is for: an outcome's feedback, an option's, or a hint (shown when a hint button ends the attempt). */
export type FeedbackUse = { slot: keyof ItemFeedback } | { option: string } | { hint: true };

interface Cond {
  test: XElement;
  negated: boolean;
}

type Value = { base: string } | { echo: string } | { test: XElement } | { unknown: true };

interface Assignment {
  outcome: string;
  values: Value[];
  conds: Cond[];
  /** Adds to the outcome's values (qti-multiple) instead of replacing them. */
  adds: boolean;
}

const TESTS = new Set(['qti-and', 'qti-or', 'qti-not', 'qti-match', 'qti-equal', 'qti-member', 'qti-is-null', 'qti-gt', 'qti-gte', 'qti-lt', 'qti-lte']);

/** C: fully right; S: some points; N: no response; H: a hint button pressed; picked: that choice is (among) the response; F: never (!F: always). */
type Tag = 'C' | '!C' | 'S' | '!S' | 'N' | '!N' | 'F' | '!F' | 'H' | '!H' | { picked: string };

type Meaning = 'general' | 'correct' | 'partial' | 'incorrect' | 'hint' | { option: string };

export interface FeedbackContext {
  root: XElement;
  item: ItemDraft;
  /** Responses of the interactions the item was read from. */
  responses: string[];
  /** QTI identifiers of the choices of the item's one response, when it has choices. */
  choiceIds: string[];
  /** Responses of end-attempt interactions (hint buttons). */
  hintResponses: string[];
}

function assignments(rp: XElement | undefined): Assignment[] {
  const out: Assignment[] = [];
  const walk = (rules: XElement[], conds: Cond[]) => {
    for (const r of rules) {
      if (r.name === 'qti-response-condition') {
        const prior: Cond[] = [];
        for (const branch of elements(r)) {
          if (branch.name === 'qti-response-if' || branch.name === 'qti-response-else-if') {
            const [test, ...body] = elements(branch);
            if (!test) continue;
            walk(body, [...conds, ...prior, { test, negated: false }]);
            prior.push({ test, negated: true });
          } else if (branch.name === 'qti-response-else') walk(elements(branch), [...conds, ...prior]);
        }
      } else if (r.name === 'qti-set-outcome-value') {
        const outcome = attr(r, 'identifier') ?? '';
        const expr = elements(r)[0];
        const adds = (expr?.name === 'qti-multiple' || expr?.name === 'qti-ordered') && elements(expr).some((e) => isVar(e, outcome));
        out.push({ outcome, values: valuesOf(expr, outcome), conds, adds });
      }
    }
  };
  if (rp) walk(elements(rp), []);
  return out;
}

function valuesOf(expr: XElement | undefined, outcome: string): Value[] {
  if (!expr) return [{ unknown: true }];
  if (expr.name === 'qti-base-value') return [{ base: textOf(expr).trim() }];
  if (expr.name === 'qti-variable') return [{ echo: attr(expr, 'identifier') ?? '' }];
  // A boolean outcome: true when the test holds (ONYX's FEEDBACK_n = FEEDBACKBASIC is correct).
  if (TESTS.has(expr.name)) return [{ test: expr }];
  if (expr.name === 'qti-multiple' || expr.name === 'qti-ordered') {
    // Adding to the outcome's own values: the other operands are what is added.
    return elements(expr)
      .filter((e) => !(e.name === 'qti-variable' && attr(e, 'identifier') === outcome))
      .flatMap((e) => valuesOf(e, outcome));
  }
  return [{ unknown: true }];
}

const isVar = (e: XElement | undefined, id?: string) => e?.name === 'qti-variable' && (id === undefined || attr(e, 'identifier') === id);

/**
 * The most SCORE the processing can reach, when every value it sets SCORE to
 * is a sum of fixed values, mapped responses, MAXSCORE and outcomes set to
 * such values (a response processing that sums SCORE1, SCORE2…). Branches
 * count at their largest, so the figure is never below the real one: a
 * comparison with it is read as "full marks" only when it is.
 */
function processingMax(root: XElement, rp: XElement | undefined): number | undefined {
  if (!rp) return undefined;
  const sets = findAll(rp, (e) => e.name === 'qti-set-outcome-value');
  const setsOf = (id: string) => sets.filter((e) => attr(e, 'identifier') === id);
  const maxOf = (e: XElement | undefined, depth: number): number | undefined => {
    if (!e || depth > 4) return undefined;
    if (e.name === 'qti-base-value') {
      const n = parseNumber(textOf(e));
      return Number.isNaN(n) ? undefined : n;
    }
    if (e.name === 'qti-variable') {
      const id = attr(e, 'identifier') ?? '';
      if (id === 'MAXSCORE') return maxScoreDefault(root);
      if (id === 'SCORE') return undefined;
      const values = setsOf(id).map((x) => maxOf(elements(x)[0], depth + 1));
      return values.length && values.every((v) => v !== undefined) ? Math.max(...(values as number[])) : undefined;
    }
    if (e.name === 'qti-sum') {
      const parts = elements(e).map((x) => maxOf(x, depth + 1));
      return parts.every((v) => v !== undefined) ? (parts as number[]).reduce((a, b) => a + b, 0) : undefined;
    }
    if (e.name === 'qti-map-response') {
      const decl = elements(root, 'qti-response-declaration').find((d) => attr(d, 'identifier') === attr(e, 'identifier'));
      const mapping = child(decl, 'qti-mapping');
      if (!mapping) return undefined;
      const upper = parseNumber(attr(mapping, 'upper-bound') ?? '');
      const values = elements(mapping, 'qti-map-entry').map((m) => parseNumber(attr(m, 'mapped-value') ?? '0') || 0);
      // A single response earns one entry; several add up the entries they name.
      const top = (attr(decl!, 'cardinality') ?? 'single') === 'single' ? Math.max(0, ...values) : values.filter((v) => v > 0).reduce((a, b) => a + b, 0);
      return Number.isNaN(upper) ? top : Math.min(upper, top);
    }
    return undefined;
  };
  let total = 0;
  for (const set of setsOf('SCORE')) {
    const expr = elements(set)[0];
    const operands = elements(expr);
    if (expr?.name === 'qti-sum' && operands.some((o) => isVar(o, 'SCORE'))) {
      const added = operands.filter((o) => !isVar(o, 'SCORE')).map((o) => maxOf(o, 0));
      if (added.some((v) => v === undefined)) return undefined;
      total += (added as number[]).reduce((a, b) => a + b, 0);
    } else {
      const v = maxOf(expr, 0);
      if (v === undefined) return undefined;
      total = Math.max(total, v);
    }
  }
  return Number.isFinite(total) && total > 0 ? total : undefined;
}

function maxScoreDefault(root: XElement): number | undefined {
  const d = elements(root, 'qti-outcome-declaration').find((o) => attr(o, 'identifier') === 'MAXSCORE');
  const v = elements(child(d, 'qti-default-value'), 'qti-value')[0];
  const n = v ? parseNumber(textOf(v)) : Number.NaN;
  return Number.isNaN(n) ? undefined : n;
}

/** Whether the item's scoring can give some but not all of its points. */
function canBePartial(item: ItemDraft): boolean {
  switch (item.type) {
    case 'multiple_choice':
    case 'ordering':
      return item.scoring === 'partial';
    case 'cloze':
      return item.blanks.length > 1;
    case 'matching':
    case 'true_false_cluster':
    case 'essay':
      return true;
    default:
      return false;
  }
}

class Analysis {
  private readonly all: Assignment[];
  private readonly full: number[];
  /** Whether SCORE reaching MAXSCORE means full marks (MAXSCORE is what the processing can reach, or that is unknown). */
  private readonly maxScoreIsFull: boolean;

  constructor(private readonly ctx: FeedbackContext) {
    const rp = child(ctx.root, 'qti-response-processing');
    this.all = assignments(rp);
    // What the processing can reach, when known; else what MAXSCORE says.
    const reach = processingMax(ctx.root, rp);
    const declared = maxScoreDefault(ctx.root);
    this.full = reach !== undefined ? [reach] : declared !== undefined ? [declared] : [];
    this.maxScoreIsFull = declared !== undefined && (reach === undefined || reach === declared);
  }

  private readonly only = () => (this.ctx.responses.length === 1 ? this.ctx.responses[0]! : undefined);

  private isScore(e: XElement | undefined): boolean {
    return isVar(e, 'SCORE');
  }

  private isFull(e: XElement | undefined): boolean {
    if (!e) return false;
    if (isVar(e, 'MAXSCORE')) return this.maxScoreIsFull;
    return e.name === 'qti-base-value' && this.full.includes(parseNumber(textOf(e)));
  }

  private isZero(e: XElement | undefined): boolean {
    return e?.name === 'qti-base-value' && parseNumber(textOf(e)) === 0;
  }

  /** Tags of one test, or null when it says something else. */
  tags(test: XElement, depth: number): Tag[] | null {
    const ops = elements(test);
    const only = this.only();
    if (test.name === 'qti-and' && ops.length >= 1) {
      const parts = ops.map((o) => this.tags(o, depth));
      return parts.some((p) => p === null) ? null : (parts as Tag[][]).flat();
    }
    if (test.name === 'qti-not' && ops.length === 1) {
      const inner = this.tags(ops[0]!, depth);
      if (inner?.length !== 1) return null;
      const t = inner[0]!;
      if (typeof t !== 'string') return null;
      return [(t.startsWith('!') ? t.slice(1) : `!${t}`) as Tag];
    }
    if (test.name === 'qti-is-null' && ops.length === 1 && only && isVar(ops[0], only)) return ['N'];
    if (test.name === 'qti-variable' && this.ctx.hintResponses.includes(attr(test, 'identifier') ?? '')) return ['H'];
    if (test.name === 'qti-member' && ops.length === 2 && only && isVar(ops[1], only) && ops[0]!.name === 'qti-base-value') return [{ picked: textOf(ops[0]).trim() }];
    if (ops.length !== 2) return null;
    const [a, b] = ops as [XElement, XElement];
    if (test.name === 'qti-match' || test.name === 'qti-equal') {
      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        if (only && isVar(x, only) && y.name === 'qti-correct' && attr(y, 'identifier') === only) return ['C'];
        if (only && isVar(x, only) && y.name === 'qti-base-value' && this.ctx.choiceIds.includes(textOf(y).trim())) return [{ picked: textOf(y).trim() }];
        if (this.isScore(x) && this.isFull(y)) return ['C'];
        if (this.isScore(x) && this.isZero(y)) return ['!S'];
        // An outcome set earlier (FEEDBACKBASIC = correct) compared with one of its values.
        if (x.name === 'qti-variable' && y.name === 'qti-base-value' && depth < 3 && !this.ctx.responses.includes(attr(x, 'identifier') ?? '')) {
          const meanings = this.meanings(attr(x, 'identifier') ?? '', textOf(y).trim(), depth + 1);
          if (meanings?.length === 0) return ['F'];
          if (meanings?.length !== 1) return null;
          const m = meanings[0]!;
          if (typeof m !== 'string') return [{ picked: m.option }];
          return m === 'correct' ? ['C'] : m === 'incorrect' ? ['!C', '!S'] : m === 'partial' ? ['!C', 'S'] : m === 'general' ? [] : m === 'hint' ? ['H'] : null;
        }
      }
      return null;
    }
    if ((test.name === 'qti-gte' && this.isScore(a) && this.isFull(b)) || (test.name === 'qti-lte' && this.isFull(a) && this.isScore(b))) return ['C'];
    if ((test.name === 'qti-lt' && this.isScore(a) && this.isFull(b)) || (test.name === 'qti-gt' && this.isFull(a) && this.isScore(b))) return ['!C'];
    if ((test.name === 'qti-gt' && this.isScore(a) && this.isZero(b)) || (test.name === 'qti-lt' && this.isZero(a) && this.isScore(b))) return ['S'];
    if ((test.name === 'qti-lte' && this.isScore(a) && this.isZero(b)) || (test.name === 'qti-gte' && this.isZero(a) && this.isScore(b))) return ['!S'];
    return null;
  }

  private condTags(conds: Cond[], depth: number): Tag[] | null {
    const tags: Tag[] = [];
    for (const c of conds) {
      const t = this.tags(c.test, depth);
      if (!t) return null;
      if (!c.negated) tags.push(...t);
      else {
        if (t.length !== 1 || typeof t[0] !== 'string') return null;
        const s = t[0];
        tags.push((s.startsWith('!') ? s.slice(1) : `!${s}`) as Tag);
      }
    }
    // Not pressing a hint button is how every ordinary response ends.
    return tags.filter((t) => t !== '!F' && t !== '!H');
  }

  /** What the tags of an assignment's conditions select, or null when they select something the item has no feedback for. */
  private fromTags(tags: Tag[]): Meaning[] | null {
    const has = (s: string) => tags.includes(s as Tag);
    const picked = tags.filter((t): t is { picked: string } => typeof t !== 'string');
    if ((has('C') && has('!C')) || (has('S') && has('!S')) || (has('N') && has('!N')) || has('N')) return null;
    if (has('H')) return tags.length === 1 ? ['hint'] : null;
    if (picked.length) return picked.length === 1 && tags.every((t) => typeof t !== 'string' || t === '!N') ? [{ option: picked[0]!.picked }] : null;
    if (has('C')) return has('!S') ? null : ['correct'];
    if (has('!C')) {
      if (has('S')) return ['partial'];
      if (has('!S')) return ['incorrect'];
      return canBePartial(this.ctx.item) ? ['partial', 'incorrect'] : ['incorrect'];
    }
    if (has('!S')) return ['incorrect'];
    if (has('S') || has('!N')) return null;
    return ['general'];
  }

  /** What it means that `outcome` holds `value`: one consistent reading, or null. */
  meanings(outcome: string, value: string, depth = 0): Meaning[] | null {
    const mine = this.all.filter((a) => a.outcome === outcome);
    if (mine.length === 0 || mine.some((a) => a.values.some((v) => 'unknown' in v))) return null;
    const found: Meaning[][] = [];
    for (const [i, a] of mine.entries()) {
      for (const v of a.values) {
        if (('base' in v && v.base === value) || ('test' in v && (value === 'true' || value === 'false'))) {
          const own = 'test' in v ? [...a.conds, { test: v.test, negated: value === 'false' }] : a.conds;
          const tags = this.condTags(own, depth);
          if (!tags) return null;
          // A later assignment of another value replaces this one: its condition must not hold.
          let replaced = false;
          for (const later of a.adds ? [] : mine.slice(i + 1)) {
            if (later.adds || later.values.every((w) => 'base' in w && w.base === value)) continue;
            const t = this.condTags(later.conds, depth);
            if (!t) return null;
            if (t.includes('F')) continue;
            if (t.length === 0) replaced = true;
            else if (t.length === 1 && typeof t[0] === 'string') tags.push((t[0].startsWith('!') ? t[0].slice(1) : `!${t[0]}`) as Tag);
            else return null;
          }
          if (replaced || tags.includes('F')) continue;
          const m = this.fromTags(tags);
          if (!m) return null;
          found.push(m);
        } else if ('echo' in v) {
          // The outcome is the response itself: its values are the choices picked.
          if (v.echo !== this.only() || !this.ctx.choiceIds.includes(value) || this.condTags(a.conds, depth)?.length !== 0) return null;
          found.push([{ option: value }]);
        }
      }
    }
    if (found.length === 0) return [];
    const key = (m: Meaning[]) => JSON.stringify(m);
    return found.every((m) => key(m) === key(found[0]!)) ? found[0]! : null;
  }
}

/**
 * What each feedback element of the item is for; elements missing from the
 * answer are not stored (the reader warns about them).
 */
export function feedbackUses(ctx: FeedbackContext, feedbacks: XElement[]): Map<XElement, FeedbackUse[]> {
  const analysis = new Analysis(ctx);
  const out = new Map<XElement, FeedbackUse[]>();
  for (const f of feedbacks) {
    if ((attr(f, 'show-hide') ?? 'show') !== 'show') continue;
    const meanings = analysis.meanings(attr(f, 'outcome-identifier') ?? '', attr(f, 'identifier') ?? '');
    if (!meanings?.length) continue;
    const uses: FeedbackUse[] = [];
    for (const m of meanings) {
      if (m === 'hint') uses.push({ hint: true });
      else if (typeof m === 'string') uses.push({ slot: m });
      else if (ctx.item.type === 'single_choice' || ctx.item.type === 'multiple_choice') uses.push({ option: m.option });
      else if (ctx.item.type === 'true_false') {
        // A true/false item's picks: the right one is its correct feedback, the other its incorrect.
        const right = (m.option.toLowerCase() === 'true') === ctx.item.value;
        uses.push({ slot: right ? 'correct' : 'incorrect' });
      } else {
        uses.length = 0;
        break;
      }
    }
    if (uses.length) out.set(f, uses);
  }
  return out;
}
