/**
 * `npm run interop:report` against the real server: per format, files,
 * questions, imported, with warnings and failed with their reasons, read
 * with dryRun (nothing stored). The corpus here is a few real files whose
 * results test/interop/corpus-gift-aiken.test.ts checks by hand.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { formatOf, isOutOfScope, reasonKey, run } from '../../src/cli/interop-report.js';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';
import { listenApp } from '../support/front-server.js';

const { app } = await build(t);
const world = await interopWorld(app);
const url = await listenApp(app);
const CORPUS = fileURLToPath(new URL('../fixtures/interop/', import.meta.url));

const dir = mkdtempSync(path.join(tmpdir(), 'interop-report-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(path.join(dir, 'gift'));
mkdirSync(path.join(dir, 'qti'));
mkdirSync(path.join(dir, 'moodle-xml'));
mkdirSync(path.join(dir, 'other'));
// 3 imported and 1 wildcard refused; 3 imported and 1 with two full-credit answers.
cpSync(path.join(CORPUS, 'gift/qas-editor/shorts.gift'), path.join(dir, 'gift/shorts.gift'));
cpSync(path.join(CORPUS, 'gift/qas-editor/numericals.gift'), path.join(dir, 'gift/numericals.gift'));
writeFileSync(path.join(dir, 'gift/SOURCES.md'), '# not a question file');
// One gapselect imported, one description refused as out of scope.
cpSync(path.join(CORPUS, 'moodle-xml/moodle-plugins/qtype_gapselect-testquestion.moodle.xml'), path.join(dir, 'moodle-xml/gapselect.xml'));
cpSync(path.join(CORPUS, 'moodle-xml/moodle-tools/description.xml'), path.join(dir, 'moodle-xml/description.xml'));
writeFileSync(path.join(dir, 'qti/broken.zip'), 'not a zip at all');
writeFileSync(path.join(dir, 'other/ignored.txt'), 'no format folder: not read');

t.test('the report counts per format, with the reasons, and stores nothing', async (t) => {
  const before = await app.models.Item.countDocuments({});
  let stdout = '';
  const io = { stdout: (s: string) => void (stdout += s), stderr: { write: () => true } as unknown as NodeJS.WritableStream, env: {} };
  const summaries = await run(['--url', url, '--user', 'authorA', '--password', world.password, dir], io);
  t.match(summaries, [
    { format: 'gift', files: 2, unreadableFiles: 0, questions: 8, imported: 6, warned: 2, failed: 2, outOfScope: 0 },
    { format: 'moodle-xml', files: 2, unreadableFiles: 0, questions: 2, imported: 1, warned: 0, failed: 1, outOfScope: 1 },
    { format: 'qti', files: 1, unreadableFiles: 1, questions: 0, imported: 0, failed: 0 },
  ]);
  t.equal(summaries.length, 3, 'files outside a format folder and Markdown files are not read');
  const gift = summaries[0]!;
  t.same(Object.values(gift.reasons).reduce((a, b) => a + b, 0), 2, 'each failure has its reason');
  t.ok(Object.keys(gift.reasons).some((r) => /wildcard/.test(r)), 'the wildcard refusal is named');
  t.match(stdout, /\| gift \| 2 \| 0 \| 8 \| 6 \| 2 \| 2 \| 0 \| 75\.0 % \| 75\.0 % \|/, 'the table line');
  t.match(stdout, /\| moodle-xml \| 2 \| 0 \| 2 \| 1 \| 0 \| 1 \| 1 \| 50\.0 % \| 100\.0 % \|/, 'a description is out of scope: the in-scope share leaves it out');
  t.match(stdout, /moodle-xml: reasons for failures\n\s+1 × Moodle description is text shown between questions, not a question; not imported/);
  t.match(stdout, /qti: reasons for failures\n\s+1 × file: /, 'a file that cannot be read is a reason too');
  t.equal(await app.models.Item.countDocuments({}), before, 'a dry run: nothing stored');

  let json = '';
  await run(['--url', url, '--user', 'authorA', '--password', world.password, '--json', path.join(dir, 'gift')], { ...io, stdout: (s: string) => void (json += s) });
  t.match(JSON.parse(json), { summaries: [{ format: 'gift', questions: 8 }], files: [{ format: 'gift' }, { format: 'gift' }] });
});

t.test('refusals of the command itself', async (t) => {
  const io = { stdout: () => {}, stderr: { write: () => true } as unknown as NodeJS.WritableStream, env: {} };
  await t.rejects(run(['--url', url, dir], io), /give --user and --password/);
  await t.rejects(run(['--url', url, '--user', 'authorA', '--password', 'wrong', dir], io), /login failed \(401\)/);
  await t.rejects(run(['--url', url, '--user', 'authorA', '--password', world.password, path.join(dir, 'missing')], io), /cannot read/);
  t.equal(formatOf(path.join('a', 'moodle-xml', 'x', 'q.xml')), 'moodle-xml', 'the nearest format folder names the format');
  t.equal(formatOf(path.join('a', 'b', 'q.xml')), null);
  t.equal(reasonKey('Câu 12: key "B" missing'), 'Câu N: key "…" missing', 'like reasons count together');
});

t.test('what counts as out of scope', async (t) => {
  t.ok(isOutOfScope('GIFT description (text without an answer block) is not a question; not imported'));
  t.ok(isOutOfScope("Moodle question type stack is not a standard Moodle type (a plugin's); not imported"));
  t.ok(isOutOfScope('Moodle calculated question draws values from datasets into its text and computes the answer by a formula; the bank has no generated values, so it is not imported'));
  t.notOk(isOutOfScope('Moodle gapselect gap [[5]] offers one choice (its group has no other); a dropdown blank needs at least one wrong option'));
  t.notOk(isOutOfScope('Moodle shortanswer answer "a*" uses the * wildcard, which is not supported'));
});
