/**
 * The one guard every spreadsheet export uses (results, answer keys, item
 * analysis, the bank's CSV), against text that a spreadsheet program would
 * run as a formula ("CSV injection").
 *
 * A cell is safe only if no piece of it can begin a cell in any program that
 * opens the file. Our files separate with commas, but Excel in a Vietnamese
 * locale (decimal comma) splits on semicolons, others on tabs, and a newline
 * inside a quoted field starts a new row for any of them that ignores the
 * quotes. So the text is guarded at its start and after every `,` `;` tab,
 * CR and LF in it: where what follows begins with `=`, `+`, `-`, `@`, a tab,
 * a CR or a double quote (a quoted piece can hide a formula), possibly after
 * apostrophes, one apostrophe is put in front. A spreadsheet shows such a
 * piece as text. `unguardCell` removes exactly those apostrophes again, so a
 * file read back (the bank's CSV import) gives the text that was written.
 *
 * Real numbers stay numbers: a cell that is a plain number (`-3`, `-0,25`)
 * is not changed, and `csvRow` writes numeric values as they are, except in
 * a row's first field: a program splitting on semicolons reads the row's
 * start up to the first semicolon as one cell, and `-3,…` is no number there.
 */

const SEPARATORS = new Set([',', ';', '\t', '\r', '\n']);
const TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r', '"']);
const PLAIN_NUMBER = /^-?\d+(?:[.,]\d+)?$/;

/** Whether the text from `i` on is apostrophes and then a character that would start a formula. */
function startsFormula(text: string, i: number): boolean {
  let j = i;
  while (text[j] === "'") j++;
  return j < text.length && TRIGGERS.has(text[j]!);
}

/** The text with an apostrophe before every piece that would start a formula; `keepNumbers`: a plain number stays as it is. */
export function guardCell(text: string, keepNumbers = true): string {
  if (keepNumbers && PLAIN_NUMBER.test(text)) return text;
  let out = '';
  let pieceStart = true;
  for (let i = 0; i < text.length; i++) {
    if (pieceStart && startsFormula(text, i)) out += "'";
    out += text[i];
    pieceStart = SEPARATORS.has(text[i]!);
  }
  return out;
}

/** Undoes {@link guardCell}. */
export function unguardCell(text: string): string {
  let out = '';
  let pieceStart = true;
  for (let i = 0; i < text.length; i++) {
    if (pieceStart && text[i] === "'" && startsFormula(text, i + 1)) {
      pieceStart = false;
      continue;
    }
    out += text[i];
    pieceStart = SEPARATORS.has(text[i]!);
  }
  return out;
}

/** One RFC 4180 field: guarded, and quoted when it holds a comma, quote or line break. */
function csvField(value: string | number, keepNumbers: boolean): string {
  const s = typeof value === 'number' && keepNumbers ? String(value) : guardCell(String(value), keepNumbers);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV row (without its line end): every field guarded, numbers kept as numbers after the first field. */
export function csvRow(values: readonly (string | number)[]): string {
  return values.map((v, i) => csvField(v, i > 0)).join(',');
}
