import type { Writable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ITEM_TYPES, type ItemContent, type ItemType } from '../bank/item-types.js';
import { decodeText, messageOf, UnreadableFile, writeChunk, type FormatModule, type ItemSource, type ParsedEntry, type ParseResult } from './model.js';
import { guardCell, unguardCell } from '../text/export-cells.js';
import { ALL_COLUMNS, columnKey, itemToRow, rowToItem, type Row } from './rows.js';

/**
 * CSV: one row per item, every type in one file (columns in rows.ts). The
 * separator is detected from the header line (comma, semicolon — what Excel
 * writes where the decimal mark is a comma, as in Vietnamese — or tab).
 * Written as UTF-8 with a BOM so spreadsheet programs show Vietnamese text;
 * an author's text never runs as a formula in a colleague's spreadsheet, and
 * reads back as written (src/text/export-cells.ts).
 */

export const CSV_TYPES: readonly ItemType[] = ITEM_TYPES;

function delimiter(text: string): string {
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')).replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length - 1] as const);
  return counts.reduce((best, c) => (c[1] > best[1] ? c : best))[0];
}

export function parse(input: Buffer | string): ParseResult {
  const text = decodeText(input);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, { delimiter: delimiter(text), relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true }) as unknown as typeof records;
  } catch (err) {
    throw new UnreadableFile(`The CSV file cannot be read: ${messageOf(err)}`);
  }
  const header = records.shift();
  if (!header) return { items: [] };
  const keys = header.record.map(columnKey);
  if (!keys.includes('stem')) throw new UnreadableFile('The CSV file has no "stem" column in its first line (see GET /api/items/export?format=csv for the layout)');
  const items: ParsedEntry[] = [];
  for (const { record, info } of records) {
    if (record.every((c) => c.trim() === '')) continue;
    const row: Row = {};
    keys.forEach((k, i) => (row[k] = unguardCell(record[i] ?? '')));
    // info.lines is where the record ends; quoted newlines tell where it began.
    const line = info.lines - record.reduce((n, c) => n + (c.match(/\n/g)?.length ?? 0), 0);
    const index = items.length;
    try {
      items.push({ index, line, item: rowToItem(row) });
    } catch (err) {
      items.push({ index, line, error: messageOf(err) });
    }
  }
  return { items };
}

export function serializeRow(item: ItemContent): string {
  const row = itemToRow(item);
  return stringify([ALL_COLUMNS.map((c, i) => guardCell(row[c] ?? '', i > 0))]);
}

export async function write(source: ItemSource, out: Writable): Promise<void> {
  await writeChunk(out, `\uFEFF${stringify([[...ALL_COLUMNS]])}`);
  for await (const item of source.all()) await writeChunk(out, serializeRow(item));
}

export const csv: FormatModule = {
  name: 'csv',
  types: CSV_TYPES,
  contentType: 'text/csv; charset=utf-8',
  extension: 'csv',
  parse,
  write,
};
