import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import t from 'tap';
import { runEntry } from '../support/processes.js';
import { build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { WORLD_PASSWORD } from '../support/fixtures/world.js';

/** `npm run export -- --exam <id> --format docx --out dir/` as a user runs it: its own process, against a listening server. */

const { app } = await build(t);
const fx = await publishedExam(app, { candidates: 1, types: ['single_choice', 'numeric'], formCount: 3, prefix: 'ec' });
await app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
const dir = await mkdtemp(path.join(tmpdir(), 'export-cli-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  return runEntry('src/cli/export.ts', args, env);
}

t.test('writes one paper per mã đề and the key, with the credentials from the environment', async (t) => {
  const out = path.join(dir, 'de-thi');
  const run = await cli(['--exam', fx.examId, '--format', 'docx', '--out', out, '--url', url], { EXAM_USER: 'ec_manager', EXAM_PASSWORD: WORLD_PASSWORD });
  t.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  t.same(report.forms, ['101', '102', '103']);
  const files = (await readdir(out)).sort();
  t.equal(files.length, 4, 'three papers and the key');
  t.equal(files.filter((f) => /ma-de-10[123]\.docx$/.test(f)).length, 3);
  t.equal(files.filter((f) => /^dap-an-.*\.docx$/.test(f)).length, 1);
  for (const code of report.forms as string[]) {
    const file = files.find((f) => f.endsWith(`ma-de-${code}.docx`))!;
    const xml = strFromU8(unzipSync(new Uint8Array(await readFile(path.join(out, file))))['word/document.xml']!);
    t.match(xml, new RegExp(`Mã đề ${code}`), `${file} is the paper of mã đề ${code}`);
  }
  const key = strFromU8(unzipSync(new Uint8Array(await readFile(path.join(out, files.find((f) => f.startsWith('dap-an'))!))))['word/document.xml']!);
  t.match(key, /BẢNG ĐÁP ÁN/);
});

t.test('a candidate is refused and nothing is written; missing flags are explained', async (t) => {
  const out = path.join(dir, 'khong-duoc');
  const denied = await cli(['--exam', fx.examId, '--format', 'docx', '--out', out, '--url', url, '--token', fx.tokens[0]!]);
  t.equal(denied.code, 1);
  t.match(denied.stderr, /export: reading the forms of exam .* failed \(403\)/);
  await t.rejects(readdir(out), 'no folder written');
  const noFormat = await cli(['--exam', fx.examId, '--out', out, '--url', url, '--token', 'x']);
  t.equal(noFormat.code, 1);
  t.match(noFormat.stderr, /--format must be one of docx/);
});
