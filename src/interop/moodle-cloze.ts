/**
 * Moodle's embedded answers ("Cloze", question type multianswer): the
 * sub-question codes `{weight:TYPE:answers}` inside the question text, read
 * into cloze blanks and written back.
 *
 * - SHORTANSWER (SA, MW) and SHORTANSWER_C (SAC, MWC) → text blanks;
 * - NUMERICAL (NM) → number blanks;
 * - MULTICHOICE (MC) with its display variants _V, _H (MCV, MCH) and
 *   shuffled _S, _VS, _HS (MCS, MCVS, MCHS) → choice blanks: the 100 %
 *   answers are `correct`, shuffled codes set `shuffle`;
 * - MULTIRESPONSE (MR) with _H and _S, _HS (MRH, MRS, MRHS) → choice blanks
 *   with `multiple`: the answers with a positive weight are `correct`.
 *
 * What the model cannot hold is a warning of the item: partial credit of an
 * answer, per-answer feedback, unequal sub-question weights, radio-button or
 * checkbox layouts (shown as a list).
 */
import type { ClozeItemBlank } from '../bank/item-types.js';
import { formatNumber, ids, ItemProblem, parseNumber } from './model.js';

const CLOZE_CODE = /\{(\d*):([A-Za-z_]+):((?:\\.|[^\\}])*)\}/g;

const TEXT_BLANK = new Set(['SHORTANSWER', 'SA', 'MW']);
const TEXT_BLANK_CASE = new Set(['SHORTANSWER_C', 'SAC', 'MWC']);
const NUMBER_BLANK = new Set(['NUMERICAL', 'NM']);
/** Choice codes: whether shuffled, and whether Moodle lays them out as buttons rather than a dropdown. */
const CHOICE_BLANK = new Map<string, { shuffle: boolean; buttons: boolean }>([
  ['MULTICHOICE', { shuffle: false, buttons: false }],
  ['MC', { shuffle: false, buttons: false }],
  ['MULTICHOICE_V', { shuffle: false, buttons: true }],
  ['MCV', { shuffle: false, buttons: true }],
  ['MULTICHOICE_H', { shuffle: false, buttons: true }],
  ['MCH', { shuffle: false, buttons: true }],
  ['MULTICHOICE_S', { shuffle: true, buttons: false }],
  ['MCS', { shuffle: true, buttons: false }],
  ['MULTICHOICE_VS', { shuffle: true, buttons: true }],
  ['MCVS', { shuffle: true, buttons: true }],
  ['MULTICHOICE_HS', { shuffle: true, buttons: true }],
  ['MCHS', { shuffle: true, buttons: true }],
]);
const MULTI_BLANK = new Map<string, { shuffle: boolean }>([
  ['MULTIRESPONSE', { shuffle: false }],
  ['MR', { shuffle: false }],
  ['MULTIRESPONSE_H', { shuffle: false }],
  ['MRH', { shuffle: false }],
  ['MULTIRESPONSE_S', { shuffle: true }],
  ['MRS', { shuffle: true }],
  ['MULTIRESPONSE_HS', { shuffle: true }],
  ['MRHS', { shuffle: true }],
]);

function unescapeCloze(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

function escapeCloze(s: string): string {
  return s.replace(/[\\}#~/"]/g, (c) => `\\${c}`);
}

interface Answer {
  fraction: number;
  text: string;
  feedback: string;
}

function answersOf(body: string): Answer[] {
  return body.split(/(?<!\\)~/).map((raw) => {
    let rest = raw.trim();
    let f = 0;
    if (rest.startsWith('=')) {
      f = 100;
      rest = rest.slice(1);
    } else {
      const w = /^%(-?\d+(?:\.\d+)?)%/.exec(rest);
      if (w) {
        f = Number(w[1]);
        rest = rest.slice(w[0].length);
      }
    }
    const hash = rest.search(/(?<!\\)#/);
    return { fraction: f, text: (hash === -1 ? rest : rest.slice(0, hash)).trim(), feedback: hash === -1 ? '' : rest.slice(hash + 1).trim() };
  });
}

/** Moodle's embedded answers ("Cloze") codes → blanks and `{{bN}}` markers. */
export function readCloze(html: string, warnings: string[]): { text: string; blanks: ClozeItemBlank[] } {
  const blanks: ClozeItemBlank[] = [];
  const weights = new Set<number>();
  const text = html.replace(CLOZE_CODE, (_whole, weight: string, kind: string, body: string) => {
    const type = kind.toUpperCase();
    const n = blanks.length + 1;
    const id = ids.blank(blanks.length);
    weights.add(weight === '' ? 1 : Number(weight));
    const answers = answersOf(body);
    for (const a of answers) if (a.feedback !== '') warnings.push(`Feedback "${unescapeCloze(a.feedback).slice(0, 60)}" of cloze sub-question ${n} answer ${unescapeCloze(a.text)} is not kept`);
    const multi = MULTI_BLANK.get(type);
    // A list to choose from needs two entries at least (Moodle refuses fewer too).
    if ((multi || CHOICE_BLANK.has(type)) && answers.length < 2) {
      throw new ItemProblem(`Moodle cloze ${type} sub-question ${n} has ${answers.length} choice${answers.length === 1 ? '' : 's'}; it needs at least two`);
    }
    if (multi) {
      const options = answers.map((a, i) => ({ id: ids.option(i), text: unescapeCloze(a.text) }));
      const correct = options.filter((_o, i) => answers[i]!.fraction > 0).map((o) => o.id);
      if (correct.length === 0) throw new ItemProblem(`Moodle cloze MULTIRESPONSE sub-question ${n} has no answer with a positive weight`);
      if (answers.some((a) => a.fraction !== 0 && Math.abs(Math.abs(a.fraction) - 100 / correct.length) > 0.01)) {
        warnings.push(`Weights of cloze MULTIRESPONSE sub-question ${n} are replaced by all-or-nothing: right when exactly the positive answers are picked`);
      }
      warnings.push(`Cloze MULTIRESPONSE sub-question ${n} is shown as a multiple-selection list, not checkboxes`);
      blanks.push({ id, options, correct, multiple: true, ...(multi.shuffle ? { shuffle: true } : {}) });
      return `{{${id}}}`;
    }
    const full = answers.filter((a) => a.fraction === 100);
    for (const a of answers) if (a.fraction > 0 && a.fraction < 100) warnings.push(`Partial credit (${a.fraction}%) for cloze answer ${unescapeCloze(a.text)} is dropped`);
    if (full.length === 0) throw new ItemProblem(`Moodle cloze sub-question ${n} has no full-credit answer`);
    const choice = CHOICE_BLANK.get(type);
    if (choice) {
      const options = answers.map((a, i) => ({ id: ids.option(i), text: unescapeCloze(a.text) }));
      const correct = options.filter((_o, i) => answers[i]!.fraction === 100).map((o) => o.id);
      if (choice.buttons) warnings.push(`Cloze ${type} sub-question ${n} is shown as a dropdown, not radio buttons`);
      blanks.push({ id, options, correct, ...(choice.shuffle ? { shuffle: true } : {}) });
    } else if (TEXT_BLANK.has(type) || TEXT_BLANK_CASE.has(type)) {
      const accepted = full.map((a) => unescapeCloze(a.text));
      if (accepted.some((a) => /(?<!\\)\*/.test(a))) throw new ItemProblem('Moodle cloze answers with the * wildcard are not supported');
      blanks.push({ id, accepted, ...(TEXT_BLANK_CASE.has(type) ? { caseSensitive: true } : {}) });
    } else if (NUMBER_BLANK.has(type)) {
      if (full.length > 1) throw new ItemProblem(`Moodle cloze NUMERICAL sub-question ${n} has several full-credit answers`);
      const [v, t] = unescapeCloze(full[0]!.text).split(':');
      const value = parseNumber(v ?? '');
      const tolerance = t === undefined ? 0 : parseNumber(t);
      if (Number.isNaN(value) || Number.isNaN(tolerance)) throw new ItemProblem(`Moodle cloze NUMERICAL answer "${full[0]!.text}" is not a number`);
      blanks.push({ id, value, tolerance });
    } else {
      throw new ItemProblem(`Moodle cloze sub-question type ${type} is not supported`);
    }
    return `{{${id}}}`;
  });
  if (weights.size > 1) warnings.push('Unequal weights of the cloze sub-questions are replaced by equal shares');
  if (blanks.length === 0) throw new ItemProblem('Moodle multianswer question has no sub-questions');
  return { text, blanks };
}

/** A blank as Moodle's embedded-answers code (weight 1). */
export function clozeCode(blank: ClozeItemBlank): string {
  if ('value' in blank) return `{1:NUMERICAL:=${formatNumber(blank.value)}:${formatNumber(blank.tolerance ?? 0)}}`;
  if ('options' in blank) {
    const right = new Set(blank.correct);
    if (blank.multiple) {
      // Moodle's MULTIRESPONSE: right answers share 100 %, wrong ones take as much away.
      const share = formatNumber(Math.round((100 / blank.correct.length) * 100000) / 100000);
      const answers = blank.options.map((o) => `%${right.has(o.id) ? '' : '-'}${share}%${escapeCloze(o.text)}`);
      return `{1:${blank.shuffle ? 'MULTIRESPONSE_S' : 'MULTIRESPONSE'}:${answers.join('~')}}`;
    }
    const answers = blank.options.map((o) => `${right.has(o.id) ? '=' : ''}${escapeCloze(o.text)}`);
    return `{1:${blank.shuffle ? 'MULTICHOICE_S' : 'MULTICHOICE'}:${answers.join('~')}}`;
  }
  return `{1:${blank.caseSensitive ? 'SHORTANSWER_C' : 'SHORTANSWER'}:${blank.accepted.map((a) => `=${escapeCloze(a)}`).join('~')}}`;
}
