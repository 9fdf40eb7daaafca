import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runEntry } from '../support/processes.js';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';

/** `npm run import` as a user runs it: its own process, against a listening server. */

// Each run starts a TypeScript process of its own; on a busy machine that takes a while.
t.setTimeout(600_000);

const { app } = await build(t);
const world = await interopWorld(app);
await app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
const dir = await mkdtemp(path.join(tmpdir(), 'import-cli-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

/** Runs src/cli/import.ts with the loader tap uses, and waits for it to exit. */
function cli(args: string[], env: Record<string, string> = {}) {
  return runEntry('src/cli/import.ts', args, env);
}

t.test('imports a large GIFT file in chunks with a progress bar, and names the question that failed', async (t) => {
  const questions = Array.from({ length: 1200 }, (_, i) => `Câu ${i + 1}: ${i} + 1 = ?{=${i + 1} ~${i + 2} ~${i + 3}}`);
  questions.splice(700, 0, 'Đây là lời dẫn, không phải câu hỏi.');
  const file = path.join(dir, 'ngan-hang.gift.txt');
  await writeFile(file, `${questions.join('\n\n')}\n`);

  const run = await cli(['--format', 'gift', file, '--url', url, '--user', 'authorA', '--subject', 'toan', '--grade', '1', '--topic', 'phep-cong', '--level', '1', '--chunk', '500'], { EXAM_PASSWORD: world.password });
  t.equal(run.code, 3, 'exit code 3: some questions failed');
  const report = JSON.parse(run.stdout);
  t.equal(report.imported, 1200);
  t.equal(report.ids.length, 1200);
  t.match(report.failed, [{ index: 700, line: 1401, error: { code: 'not_importable', message: /description/ } }]);
  const bars = run.stderr.split('\n').filter((l) => l.startsWith('['));
  t.ok(bars.length >= 4, `a progress line per chunk: ${bars.length}`);
  t.match(bars[bars.length - 1], /^\[#+\] 1201\/1201 items 100% \(1 failed\)$/);
  t.match(run.stderr, /question 701 \(line 1401\): GIFT description/);

  const listed = (await world.users.authorA({ method: 'GET', url: '/api/items?q=cau%201199&limit=20' })).json().items as { stem: string }[];
  t.match(listed.find((i) => i.stem === 'Câu 1199: 1198 + 1 = ?'), { status: 'draft', subject: 'toan', options: [{ id: 'A', text: '1199' }, { id: 'B' }, { id: 'C' }], correct: ['A'] });
});

t.test('a Word paper: its passages stored first and referenced by their questions, warnings and the number of a failed question reported', async (t) => {
  const english = path.join(import.meta.dirname, '../fixtures/docx/vnhsge-tieng-anh-2023.docx');
  const run = await cli(['--format', 'docx', english, '--url', url, '--user', 'authorA', '--password', world.password, '--subject', 'tieng-anh', '--grade', '12', '--topic', 'thpt-2023', '--level', '2']);
  t.equal(run.code, 0, run.stderr.slice(-500));
  const report = JSON.parse(run.stdout);
  t.equal(report.imported, 50);
  t.equal(report.stimuli.length, 3);
  t.match(report.warnings[0], { index: 0, number: 1, messages: [/instruction before it is its stem/, 'Key C taken from the letter C standing alone after the options', /worked solution/] });
  const passage = (await world.users.authorA({ method: 'GET', url: `/api/stimuli/${report.stimuli[0].id}` })).json();
  t.match(passage, { subject: 'tieng-anh', language: 'en' });
  t.ok(passage.items.length >= 4 && passage.items.every((i: { id: string }) => report.ids.includes(i.id)), 'the passage lists the imported questions');

  const maths = path.join(import.meta.dirname, '../fixtures/docx/toan-de-anh.docx');
  const pictures = await cli(['--format', 'docx', maths, '--url', url, '--user', 'authorA', '--password', world.password, '--subject', 'toan', '--grade', '12', '--topic', 'on-thi', '--level', '3']);
  t.equal(pictures.code, 3, 'exit code 3: a question failed');
  const r = JSON.parse(pictures.stdout);
  t.equal(r.imported, 48);
  t.match(r.failed, [{ index: 0, number: 1, error: { code: 'not_importable', message: /no options "A\.", "B\.", … were found/ } }]);
  t.match(pictures.stderr, /question 1 \(Câu 1\): The key is option A, but no options/);
  const item = (await world.users.authorA({ method: 'GET', url: `/api/items/${r.ids[0]}` })).json();
  // The paper's pictures arrive as data: URLs; the bank moves them into the media library on write.
  t.match(item.stem, /<img src="\/api\/media\/[0-9a-f]{64}"/);
});

t.test('a Word paper with its separate answer-key file (--answer-key)', async (t) => {
  const paper = path.join(import.meta.dirname, '../fixtures/docx/hoc-may-tu-luan.docx');
  const key = path.join(import.meta.dirname, '../fixtures/docx/hoc-may-tu-luan-dap-an.docx');
  const run = await cli(['--format', 'docx', paper, '--answer-key', key, '--url', url, '--user', 'authorA', '--password', world.password, '--subject', 'tin-hoc', '--grade', '12', '--topic', 'hoc-may', '--level', '3']);
  t.equal(run.code, 0, run.stderr.slice(-500));
  const report = JSON.parse(run.stdout);
  t.equal(report.imported, 3);
  const item = (await world.users.authorA({ method: 'GET', url: `/api/items/${report.ids[0]}` })).json();
  t.match(item.rubric, [{ maxPoints: 1, criterion: /Học có giám sát \(Supervised Learning\)<\/b> là phương pháp học máy/ }], 'the key file\'s marking guide is the rubric');
  const wrongFormat = await cli(['--format', 'aiken', paper, '--answer-key', key, '--url', url, '--user', 'authorA', '--password', world.password]);
  t.equal(wrongFormat.code, 1);
  t.match(wrongFormat.stderr, /--answer-key is read with --format docx only/);
});

t.test('a wrong password or a bad file stops with exit code 1 and a clear message', async (t) => {
  const file = path.join(dir, 'one.aiken.txt');
  await writeFile(file, 'Q?\nA. x\nB. y\nANSWER: A\n');
  const denied = await cli(['--format', 'aiken', file, '--url', url, '--user', 'authorA', '--password', 'wrong-password']);
  t.equal(denied.code, 1);
  t.match(denied.stderr, /import: login failed \(401\)/);
  const badXml = path.join(dir, 'bad.xml');
  await writeFile(badXml, '<!DOCTYPE x [<!ENTITY a "b">]><quiz/>');
  const refused = await cli(['--format', 'moodle-xml', badXml, '--url', url, '--user', 'authorA', '--password', world.password]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /bad\.xml: .*DOCTYPE or entity declarations; they are refused/);
  const usage = await cli(['--format', 'word', file]);
  t.equal(usage.code, 1);
  t.match(usage.stderr, /--format must be one of gift, moodle-xml, aiken, qti, csv, xlsx, docx/);
  const notWord = await cli(['--format', 'docx', file, '--url', url, '--user', 'authorA', '--password', world.password]);
  t.equal(notWord.code, 1);
  t.match(notWord.stderr, /one\.aiken\.txt: The file is not a \.docx \(Word\) document/);
});

t.test('without --url it finds the API at HOST:PORT, and a refused question says what is missing', async (t) => {
  const file = path.join(dir, 'no-topic.aiken.txt');
  await writeFile(file, 'Thủ đô của Việt Nam là?\nA. Hà Nội\nB. Huế\nANSWER: A\n');
  const port = new URL(url).port;
  const run = await cli(['--format', 'aiken', file, '--user', 'authorA', '--password', world.password], { PORT: port, HOST: '0.0.0.0', EXAM_URL: '' });
  t.equal(run.code, 3, 'reached the server on PORT and reported the refusal');
  const line = run.stderr.split('\n').findIndex((l) => /^question 1\b/.test(l));
  t.ok(line >= 0, 'the refused question is named');
  const why = run.stderr.split('\n').slice(line).join('\n');
  t.match(why, /question 1 \(line 1\): The item is not valid\n {2}- .*missingProperty: subject/, `the reason names the missing field:\n${why}`);

  const noLogin = await cli(['--format', 'aiken', file], { PORT: port, EXAM_URL: '', EXAM_USER: '', EXAM_PASSWORD: '', EXAM_TOKEN: '' });
  t.equal(noLogin.code, 1);
  t.match(noLogin.stderr, /--user gv\.toan --password 'demo-2025!'/, 'the demo login is in the message');
});
