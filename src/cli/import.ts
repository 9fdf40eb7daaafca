import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FORMATS, type FormatName, type ParseResult } from '../interop/model.js';
import { FORMAT_MODULES } from '../interop/formats.js';
import { passageFailed, placeOf, planImport, type ImportDefaults, type ImportReport } from '../interop/interop-service.js';

/**
 * `npm run import -- --format gift questions.txt [--url http://127.0.0.1:3000
 * --user u --password p]`: reads a question file of any size with the same
 * parsers as the server, stores the passages its questions share with POST
 * /api/stimuli, then sends the items to POST /api/items/bulk in chunks, with a progress bar on stderr. Prints the report (as POST
 * /api/items/import answers it) on stdout as JSON. Exit code 0 when every
 * question was imported, 3 when some failed, 1 when the run could not go on.
 */

const USAGE = `usage: npm run import -- --format ${FORMATS.join('|')} FILE
  [--url URL] [--user NAME] [--password PASSWORD]   (or EXAM_URL, EXAM_USER, EXAM_PASSWORD, EXAM_TOKEN)
  The URL defaults to the API this machine runs: http://HOST:PORT from the environment (127.0.0.1:3000).
  With the demo (npm start): --user gv.toan --password 'demo-2025!'
  [--subject S] [--grade N] [--topic T] [--level 1-4] [--language vi|en] [--points P] [--tag T] [--owner ORG_ID]
  [--form-code NNN]   docx: the mã đề whose column of an answer table gives the keys
  [--answer-key FILE]   docx: the paper's separate answer-key document ("đáp án" file)
  [--chunk N]   items per request (default 500, at most 1000)`;

export class CliError extends Error {
  override name = 'CliError';
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

interface Options {
  format: FormatName;
  file: string;
  url: string;
  token?: string;
  user?: string;
  password?: string;
  chunk: number;
  defaults: ImportDefaults;
  formCode?: string;
  /** docx: the separate answer-key document. */
  answerKey?: string;
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a number`);
  return n;
}

export function options(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', short: 'f' },
      url: { type: 'string' },
      user: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      token: { type: 'string' },
      subject: { type: 'string' },
      grade: { type: 'string' },
      topic: { type: 'string' },
      level: { type: 'string' },
      language: { type: 'string' },
      points: { type: 'string' },
      tag: { type: 'string' },
      owner: { type: 'string' },
      chunk: { type: 'string' },
      'form-code': { type: 'string' },
      'answer-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new CliError(USAGE);
  const format = values.format as FormatName | undefined;
  if (!format || !FORMATS.includes(format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}\n${USAGE}`);
  if (positionals.length !== 1) throw new CliError(`give exactly one file\n${USAGE}`);
  if (values['answer-key'] !== undefined && format !== 'docx') throw new CliError('--answer-key is read with --format docx only');
  const chunk = number(values.chunk, 'chunk') ?? 500;
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > 1000) throw new CliError('--chunk must be between 1 and 1000');
  const level = number(values.level, 'level');
  if (level !== undefined && level !== 1 && level !== 2 && level !== 3 && level !== 4) throw new CliError('--level must be 1, 2, 3 or 4');
  if (values.language !== undefined && values.language !== 'vi' && values.language !== 'en') throw new CliError('--language must be vi or en');
  const defaults: ImportDefaults = {
    ...(values.subject ? { subject: values.subject } : {}),
    ...(values.grade ? { grade: number(values.grade, 'grade') } : {}),
    ...(values.topic ? { topic: values.topic } : {}),
    ...(level !== undefined ? { cognitiveLevel: level } : {}),
    ...(values.language ? { language: values.language } : {}),
    ...(values.points ? { points: number(values.points, 'points') } : {}),
    ...(values.tag ? { tags: [values.tag] } : {}),
    ...(values.owner ? { ownerOrgId: values.owner } : {}),
    source: { format, file: path.basename(positionals[0]!) },
  };
  const token = values.token || env.EXAM_TOKEN || undefined;
  const user = values.user || env.EXAM_USER || undefined;
  const password = values.password || env.EXAM_PASSWORD || undefined;
  if (!token && !(user && password)) {
    throw new CliError("give --user and --password (or EXAM_USER and EXAM_PASSWORD, or EXAM_TOKEN); with the demo: --user gv.toan --password 'demo-2025!'");
  }
  return {
    format,
    file: positionals[0]!,
    url: (values.url || env.EXAM_URL || localApi(env)).replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    ...(user ? { user } : {}),
    ...(password ? { password } : {}),
    chunk,
    defaults,
    ...(values['form-code'] ? { formCode: values['form-code'] } : {}),
    ...(values['answer-key'] ? { answerKey: values['answer-key'] } : {}),
  };
}

/** The API started on this machine with the same environment (`npm start` reads HOST and PORT too). */
export function localApi(env: NodeJS.ProcessEnv): string {
  const host = !env.HOST || env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
  const port = env.PORT && /^\d+$/.test(env.PORT) ? env.PORT : '3000';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * One line per problem of a refused question: the message, then what the
 * details name (a field path and what is wrong with it), so the author knows
 * what to fix without opening the API.
 */
export function reasons(error: { message: string; details?: Record<string, unknown>[] }): string {
  const parts = (error.details ?? []).map((d) => {
    const where = typeof d.instancePath === 'string' && d.instancePath ? d.instancePath : typeof d.path === 'string' ? d.path : typeof d.field === 'string' ? d.field : '';
    const what = typeof d.message === 'string' ? d.message : JSON.stringify(d);
    const extra = d.params && typeof d.params === 'object' ? Object.entries(d.params as Record<string, unknown>).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('; ') : '';
    return `${where ? `${where}: ` : ''}${what}${extra ? ` (${extra})` : ''}`;
  });
  return [error.message, ...parts.map((p) => `  - ${p}`)].join('\n');
}

/** A progress bar that redraws in place on a terminal and prints a line per step elsewhere. */
export class Progress {
  private last = '';
  constructor(
    private readonly out: CliIo['stderr'],
    private readonly total: number,
  ) {}

  update(done: number, note = ''): void {
    const share = this.total === 0 ? 1 : done / this.total;
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 40));
    const filled = Math.round(share * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${this.total} items ${Math.floor(share * 100)}%${note ? ` ${note}` : ''}`;
    if (line === this.last) return;
    this.last = line;
    if (this.out.isTTY) this.out.write(`\r${line}`);
    else this.out.write(`${line}\n`);
  }

  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

export async function request(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new CliError(`cannot reach ${url}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text for the message.
  }
  return { status: res.status, body };
}

export function apiMessage(body: unknown): string {
  const error = (body as { error?: { message?: string } } | null)?.error;
  return error?.message ?? String(body).slice(0, 200);
}

export async function tokenFor(o: Pick<Options, 'url' | 'token' | 'user' | 'password'>): Promise<string> {
  if (o.token) return o.token;
  const res = await request(`${o.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: o.user, password: o.password }),
  });
  if (res.status !== 200) throw new CliError(`login failed (${res.status}): ${apiMessage(res.body)}`);
  return (res.body as { token: string }).token;
}

/** Runs one import; returns the report and the exit code. */
export async function run(argv: string[], io: CliIo): Promise<{ report: ImportReport; code: number }> {
  const o = options(argv, io.env);
  let file: Buffer;
  try {
    file = await readFile(o.file);
  } catch (err) {
    throw new CliError(`cannot read ${o.file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let answerKey: Buffer | undefined;
  if (o.answerKey) {
    try {
      answerKey = await readFile(o.answerKey);
    } catch (err) {
      throw new CliError(`cannot read ${o.answerKey}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  let parsed: ParseResult;
  try {
    parsed = await FORMAT_MODULES[o.format].parse(file, { ...(o.formCode ? { formCode: o.formCode } : {}), ...(answerKey ? { answerKey } : {}) });
  } catch (err) {
    throw new CliError(`${path.basename(o.file)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const entries = parsed.items;
  if (entries.length === 0) throw new CliError(`no questions found in ${o.file} read as ${o.format}`);
  const token = await tokenFor(o);

  const plan = planImport(parsed, o.defaults);
  const report: ImportReport = { imported: 0, ids: [], failed: plan.failed, warnings: plan.warnings, ...(plan.fileWarnings.length ? { fileWarnings: plan.fileWarnings } : {}) };
  for (const w of plan.fileWarnings) io.stderr.write(`${path.basename(o.file)}: ${w}\n`);
  // The passages first: their items refer to them by the id the bank gives.
  const passageIds = new Map<string, string>();
  for (const { ref, input } of plan.stimuli) {
    const res = await request(`${o.url}/api/stimuli`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(input),
    });
    if (res.status === 201) {
      const id = (res.body as { id: string }).id;
      passageIds.set(ref, id);
      (report.stimuli ??= []).push({ ref, id, title: String(input.title) });
      continue;
    }
    const error = (res.body as { error?: ImportReport['failed'][number]['error'] } | null)?.error ?? { code: 'not_stored', message: apiMessage(res.body), details: [] };
    for (const r of plan.ready.filter((x) => x.input.stimulusId === ref)) report.failed.push({ ...placeOf(r.entry), error: passageFailed(String(input.title), error) });
  }
  const fileRefs = new Set(plan.stimuli.map((s) => s.ref));
  const ready = plan.ready.flatMap((r) => {
    const ref = r.input.stimulusId as string | undefined;
    if (ref === undefined || !fileRefs.has(ref)) return [r];
    const id = passageIds.get(ref);
    return id ? [{ ...r, input: { ...r.input, stimulusId: id } }] : [];
  });
  const progress = new Progress(io.stderr, entries.length);
  let done = report.failed.length;
  progress.update(done);
  for (let start = 0; start < ready.length; start += o.chunk) {
    const chunk = ready.slice(start, start + o.chunk);
    const res = await request(`${o.url}/api/items/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ items: chunk.map((c) => c.input) }),
    });
    if (res.status !== 200) {
      progress.finish();
      throw new CliError(`the server refused items ${chunk[0]!.entry.index}–${chunk[chunk.length - 1]!.entry.index} (${res.status}): ${apiMessage(res.body)}; ${report.imported} imported before that`);
    }
    const results = (res.body as { results: ({ index: number; id: string } | { index: number; error: ImportReport['failed'][number]['error'] })[] }).results;
    for (const r of results) {
      const { entry } = chunk[r.index]!;
      if ('id' in r) {
        report.ids.push(r.id);
        report.imported++;
      } else report.failed.push({ ...placeOf(entry), error: r.error });
    }
    done += chunk.length;
    progress.update(done, report.failed.length ? `(${report.failed.length} failed)` : '');
  }
  progress.finish();
  report.failed.sort((a, b) => a.index - b.index);
  for (const f of report.failed) io.stderr.write(`question ${f.index + 1}${f.line !== undefined ? ` (line ${f.line})` : ''}${f.number !== undefined ? ` (Câu ${f.number}${f.section ? `, ${f.section.slice(0, 40)}` : ''})` : ''}: ${reasons(f.error)}\n`);
  io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  return { report, code: report.failed.length ? 3 : 0 };
}

async function main(): Promise<void> {
  try {
    const { code } = await run(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: process.stderr, env: process.env });
    process.exitCode = code;
  } catch (err) {
    process.stderr.write(`import: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
