import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CliError, localApi, type CliIo } from './import.js';

/**
 * `npm run export -- --exam <id> --format docx --out dir/ [--url URL --user
 * u --password p]`: the printable paper of every mã đề of an exam and the
 * answer key of all of them, as Word files in `dir` (one file per mã đề plus
 * the key), fetched from the API as an exam manager. The URL and the
 * credentials are read as `npm run import` reads them (flags, else
 * EXAM_URL, EXAM_USER, EXAM_PASSWORD, EXAM_TOKEN). Prints the files written
 * as JSON on stdout; exit code 0 when all were written, 1 otherwise.
 */

const FORMATS = ['docx'] as const;

const USAGE = `usage: npm run export -- --exam EXAM_ID --format docx --out DIR
  [--url URL] [--user NAME] [--password PASSWORD]   (or EXAM_URL, EXAM_USER, EXAM_PASSWORD, EXAM_TOKEN)
  The URL defaults to the API this machine runs: http://HOST:PORT from the environment (127.0.0.1:3000).
  Writes one paper per mã đề and the answer key of all mã đề; the caller must be an exam manager of the exam.`;

interface Options {
  exam: string;
  out: string;
  url: string;
  token?: string;
  user?: string;
  password?: string;
}

export function options(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      exam: { type: 'string', short: 'e' },
      format: { type: 'string', short: 'f' },
      out: { type: 'string', short: 'o' },
      url: { type: 'string' },
      user: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new CliError(USAGE);
  if (positionals.length) throw new CliError(`unexpected argument ${positionals[0]}\n${USAGE}`);
  if (!values.exam) throw new CliError(`give the exam with --exam\n${USAGE}`);
  if (!values.format || !(FORMATS as readonly string[]).includes(values.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}\n${USAGE}`);
  if (!values.out) throw new CliError(`give the output folder with --out\n${USAGE}`);
  const token = values.token || env.EXAM_TOKEN || undefined;
  const user = values.user || env.EXAM_USER || undefined;
  const password = values.password || env.EXAM_PASSWORD || undefined;
  if (!token && !(user && password)) throw new CliError('give --user and --password (or EXAM_USER and EXAM_PASSWORD, or EXAM_TOKEN) of an exam manager');
  return {
    exam: values.exam,
    out: values.out,
    url: (values.url || env.EXAM_URL || localApi(env)).replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    ...(user ? { user } : {}),
    ...(password ? { password } : {}),
  };
}

async function call(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw new CliError(`cannot reach ${url}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`);
  }
}

async function failure(what: string, res: Response): Promise<CliError> {
  const text = await res.text();
  let message = text.slice(0, 200);
  try {
    message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
  } catch {
    // Not JSON: the text says it.
  }
  return new CliError(`${what} failed (${res.status}): ${message}`);
}

async function tokenFor(o: Options): Promise<string> {
  if (o.token) return o.token;
  const res = await call(`${o.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: o.user, password: o.password }) });
  if (res.status !== 200) throw await failure('login', res);
  return ((await res.json()) as { token: string }).token;
}

/** The file name the server gives, kept to a plain name inside the output folder. */
function fileName(res: Response, fallback: string): string {
  const given = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  return given && /^[A-Za-z0-9_.-]+\.docx$/.test(given) ? given : fallback;
}

export async function run(argv: string[], io: CliIo): Promise<{ files: string[] }> {
  const o = options(argv, io.env);
  const token = await tokenFor(o);
  const auth = { authorization: `Bearer ${token}` };
  const exam = encodeURIComponent(o.exam);
  const listed = await call(`${o.url}/api/exams/${exam}/forms`, { headers: auth });
  if (listed.status !== 200) throw await failure(`reading the forms of exam ${o.exam}`, listed);
  const codes = ((await listed.json()) as { forms: { code: string }[] }).forms.map((f) => f.code);
  if (codes.length === 0) throw new CliError(`exam ${o.exam} has no forms yet: assemble it first`);
  await mkdir(o.out, { recursive: true });
  const files: string[] = [];
  const save = async (url: string, what: string, fallback: string) => {
    const res = await call(url, { headers: auth });
    if (res.status !== 200) throw await failure(what, res);
    const file = path.join(o.out, fileName(res, fallback));
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    files.push(file);
    io.stderr.write(`${what}: ${file}\n`);
  };
  for (const code of codes) await save(`${o.url}/api/exams/${exam}/forms/${encodeURIComponent(code)}?format=docx`, `mã đề ${code}`, `ma-de-${code}.docx`);
  await save(`${o.url}/api/exams/${exam}/answer-key?format=docx`, 'answer key', 'dap-an.docx');
  io.stdout(`${JSON.stringify({ exam: o.exam, forms: codes, files }, null, 2)}\n`);
  return { files };
}

async function main(): Promise<void> {
  try {
    await run(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: process.stderr, env: process.env });
  } catch (err) {
    process.stderr.write(`export: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
