import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ImportReport } from '../contracts/imports.js';
import { FORMATS, type FormatName } from '../interop/model.js';
import { apiMessage, CliError, localApi, request, tokenFor, type CliIo } from './import.js';

/**
 * `npm run interop:report -- [--url URL --user U --password P] [DIR …]`:
 * sends every file of a corpus of question files to POST /api/items/import
 * with dryRun=true (nothing is written) and prints, per format, how many
 * files and questions there were, how many questions would be imported, how
 * many of those carry warnings (something the file holds that the item does
 * not keep), and how many fail, with the reasons counted. Failures that name
 * something the format holds that is not a question the bank could hold by
 * design (see {@link isOutOfScope}) are counted apart as out of scope, and the
 * in-scope share is imported / (questions − out of scope).
 *
 * A directory's format is the name of the folder under it that is a format
 * name (`gift/`, `aiken/`, `moodle-xml/`, `qti/`, `docx/`, `csv/`, `xlsx/`);
 * files in other folders are not read. Markdown files (sources) are skipped.
 * Defaults: the project's own corpus, test/fixtures/interop and
 * test/fixtures/docx.
 */

const USAGE = `usage: npm run interop:report -- [DIR …] [--json]
  [--url URL] [--user NAME] [--password PASSWORD]   (or EXAM_URL, EXAM_USER, EXAM_PASSWORD, EXAM_TOKEN)
  With the demo (npm start): --user gv.toan --password 'demo-2025!'
  DIR defaults to test/fixtures/interop and test/fixtures/docx; a file's format is the folder named after one
  (${FORMATS.join(', ')}) on its path.`;

/** The defaults a corpus file is read with when it does not say (they are needed to check an item, not stored). */
const DEFAULTS = { subject: 'corpus', grade: '10', topic: 'corpus', cognitiveLevel: '1' };

export interface FileOutcome {
  file: string;
  format: FormatName;
  questions: number;
  imported: number;
  warned: number;
  failed: number;
  /** Failures that are out of scope by design ({@link isOutOfScope}). */
  outOfScope: number;
  /** Failure reasons of the file's questions, or of the whole file (then `questions` is 0). */
  reasons: string[];
}

export interface FormatSummary {
  format: FormatName;
  files: number;
  /** Files refused as a whole (not readable as the format). */
  unreadableFiles: number;
  questions: number;
  imported: number;
  warned: number;
  failed: number;
  /** Of the failures, those out of scope by design. */
  outOfScope: number;
  /** Reason → how many questions (or whole files) it refused. */
  reasons: Record<string, number>;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile() && !/\.md$/i.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/**
 * Whether a refusal names something deliberately out of scope rather than a
 * question the bank should hold: text that is not a question (GIFT and Moodle
 * descriptions, Moodle random placeholders), a Moodle plugin's type, answers
 * placed on a picture, or generated values (Moodle calculated questions).
 * The importers word these refusals so (src/interop/gift.ts, moodle-xml.ts).
 */
export function isOutOfScope(message: string): boolean {
  return /not a question|not a standard Moodle type|no item type does|has no generated values/.test(message);
}

/** The format named by the nearest folder on the file's path, if any. */
export function formatOf(file: string): FormatName | null {
  const folders = path.dirname(file).split(path.sep).reverse();
  for (const folder of folders) if ((FORMATS as readonly string[]).includes(folder)) return folder as FormatName;
  return null;
}

/** A reason without the parts that name one question (numbers, quoted text), so like failures count together. */
export function reasonKey(message: string): string {
  return message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+(?:[.,]\d+)?/g, 'N')
    .slice(0, 160);
}

export function summarise(outcomes: readonly FileOutcome[]): FormatSummary[] {
  const by = new Map<FormatName, FormatSummary>();
  for (const o of outcomes) {
    let s = by.get(o.format);
    if (!s) by.set(o.format, (s = { format: o.format, files: 0, unreadableFiles: 0, questions: 0, imported: 0, warned: 0, failed: 0, outOfScope: 0, reasons: {} }));
    s.files++;
    if (o.questions === 0 && o.reasons.length) s.unreadableFiles++;
    s.questions += o.questions;
    s.imported += o.imported;
    s.warned += o.warned;
    s.failed += o.failed;
    s.outOfScope += o.outOfScope;
    for (const r of o.reasons) {
      const key = reasonKey(r);
      s.reasons[key] = (s.reasons[key] ?? 0) + 1;
    }
  }
  return [...by.values()].sort((a, b) => a.format.localeCompare(b.format));
}

export function renderSummary(summaries: readonly FormatSummary[]): string {
  const pct = (a: number, b: number) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)} %`);
  const lines = [
    '| format | files | unreadable files | questions | imported | with warnings | failed | of which out of scope | imported share | in-scope share |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of summaries) {
    lines.push(`| ${s.format} | ${s.files} | ${s.unreadableFiles} | ${s.questions} | ${s.imported} | ${s.warned} | ${s.failed} | ${s.outOfScope} | ${pct(s.imported, s.questions)} | ${pct(s.imported, s.questions - s.outOfScope)} |`);
  }
  for (const s of summaries) {
    const reasons = Object.entries(s.reasons).sort((a, b) => b[1] - a[1]);
    if (!reasons.length) continue;
    lines.push('', `${s.format}: reasons for failures`);
    for (const [reason, n] of reasons) lines.push(`  ${String(n).padStart(4)} × ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function run(argv: string[], io: CliIo): Promise<FormatSummary[]> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      user: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new CliError(USAGE);
  const token = values.token || io.env.EXAM_TOKEN || undefined;
  const user = values.user || io.env.EXAM_USER || undefined;
  const password = values.password || io.env.EXAM_PASSWORD || undefined;
  if (!token && !(user && password)) throw new CliError(`give --user and --password (or EXAM_USER and EXAM_PASSWORD, or EXAM_TOKEN)\n${USAGE}`);
  const url = (values.url || io.env.EXAM_URL || localApi(io.env)).replace(/\/+$/, '');
  const dirs = positionals.length ? positionals : ['test/fixtures/interop', 'test/fixtures/docx'];
  const files: string[] = [];
  for (const dir of dirs) {
    const info = await stat(dir).catch(() => null);
    if (!info) throw new CliError(`cannot read ${dir}`);
    files.push(...(info.isDirectory() ? await filesUnder(dir) : [dir]));
  }
  const bearer = await tokenFor({ url, ...(token ? { token } : {}), ...(user ? { user } : {}), ...(password ? { password } : {}) });
  const outcomes: FileOutcome[] = [];
  for (const file of files) {
    const format = formatOf(file);
    if (!format) continue;
    const query = new URLSearchParams({ format, dryRun: 'true', ...DEFAULTS });
    const res = await request(`${url}/api/items/import?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${bearer}` },
      body: await readFile(file),
    });
    if (res.status === 200) {
      const report = res.body as ImportReport;
      const warned = new Set(report.warnings.map((w) => w.index)).size;
      const reasons = report.failed.map((f) => f.error.message);
      outcomes.push({ file, format, questions: report.imported + reasons.length, imported: report.imported, warned, failed: reasons.length, outOfScope: reasons.filter(isOutOfScope).length, reasons });
    } else if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403) {
      outcomes.push({ file, format, questions: 0, imported: 0, warned: 0, failed: 0, outOfScope: 0, reasons: [`file: ${apiMessage(res.body)}`] });
    } else {
      throw new CliError(`${file}: the server answered ${res.status}: ${apiMessage(res.body)}`);
    }
    io.stderr.write(`${file}: ${outcomes.at(-1)!.imported}/${outcomes.at(-1)!.questions} imported\n`);
  }
  const summaries = summarise(outcomes);
  io.stdout(values.json ? `${JSON.stringify({ summaries, files: outcomes }, null, 2)}\n` : renderSummary(summaries));
  return summaries;
}

async function main(): Promise<void> {
  try {
    await run(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: process.stderr, env: process.env });
  } catch (err) {
    process.stderr.write(`interop:report: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
