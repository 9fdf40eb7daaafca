/**
 * Who reads a file of the media library, and what an attacker learns: a file
 * anyone may not read answers 404, exactly like one that does not exist.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { as, build } from '../helper.js';
import { approvedBodies, examWorld, itemBody, ok } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await examWorld(app, 6, 'ma');

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const picture = (label: string) => Buffer.concat([PNG, Buffer.from(label)]);
const urlOf = (bytes: Buffer) => `/api/media/${createHash('sha256').update(bytes).digest('hex')}`;
const dataUrl = (bytes: Buffer) => `data:image/png;base64,${bytes.toString('base64')}`;

const topic = `media-${Date.now().toString(36)}`;
const pictures = [picture('first form'), picture('second form')];
const itemIds = await approvedBodies(
  world,
  pictures.map((p, i) => ({ ...itemBody({ type: 'single_choice', topic, cognitiveLevel: 1 }), stem: `<p>Câu ${i + 1}: <img src="${dataUrl(p)}" alt="hình"></p>` })),
);
const urls = pictures.map(urlOf);

const candidates = world.candidateIds.map((id) => ({ id, call: as(app, app.tokens.issue(id).token) }));
const db = app.mongo.db!;

const status = async (who: (o: { method: 'GET'; url: string }) => Promise<{ statusCode: number }>, url: string) => (await who({ method: 'GET', url })).statusCode;

/** An exam of two forms of one item each, no item on both: which picture a candidate gets depends on their form. */
async function exam(opensInMs: number): Promise<string> {
  const blueprint = await ok(
    await world.manager({
      method: 'POST',
      url: '/api/blueprints',
      payload: { title: 'Nghe nhìn', subject: 'math', grade: 12, durationMinutes: 60, sections: [{ title: 'Phần 1', type: 'single_choice', cells: [{ topic, cognitiveLevel: 1, count: 1 }] }], constraints: { maxItemOverlap: 0, difficultyTolerance: 1 } },
    }),
    201,
    'blueprint',
  );
  const now = Date.now();
  const created = await ok(
    await world.manager({
      method: 'POST',
      url: '/api/exams',
      payload: {
        title: 'Bài thi có hình',
        blueprintId: blueprint.id,
        formCount: 2,
        opensAt: new Date(now + opensInMs).toISOString(),
        closesAt: new Date(now + 3 * 3600_000).toISOString(),
        durationMinutes: 60,
        candidateIds: world.candidateIds,
        showResults: 'after_submit',
      },
    }),
    201,
    'exam',
  );
  await ok(await world.manager({ method: 'POST', url: `/api/exams/${created.id}/assemble` }), 200, 'assemble');
  await ok(await world.manager({ method: 'POST', url: `/api/exams/${created.id}/publish` }), 200, 'publish');
  return created.id as string;
}

t.test('before any exam: the bank sharing rules decide', async (t) => {
  t.equal(await status(world.author, urls[0]!), 200, 'the author');
  t.equal(await status(world.reviewer, urls[0]!), 200, 'a reviewer of the department');
  t.equal(await status(world.manager, urls[1]!), 200, 'an exam manager of the department (a bank role)');
  t.equal(await status(world.otherManager, urls[0]!), 404, 'another department: not found, as if it did not exist');
  t.equal(await status(world.proctor, urls[0]!), 404, 'a proctor has no bank role');
  t.equal(await status(candidates[0]!.call, urls[0]!), 404, 'a candidate who sits nothing');

  // An uploaded file nothing shows yet: the uploading department only.
  const upload = await world.author({ method: 'POST', url: '/api/media', payload: picture('draft upload'), headers: { 'content-type': 'image/png' } });
  t.equal(upload.statusCode, 201, upload.body);
  t.equal(await status(world.reviewer, upload.json().url), 200, 'staff of the uploading department');
  t.equal(await status(world.otherManager, upload.json().url), 404, 'another department');
  t.equal(await status(candidates[0]!.call, upload.json().url), 404, 'a candidate');
});

let future = '';
t.test('an item on a form of an exam not yet open: only those who may read the form', async (t) => {
  future = await exam(3600_000);
  for (const url of urls) {
    t.equal(await status(world.author, url), 404, 'the plain author who wrote it no longer reads it');
    t.equal(await status(world.reviewer, url), 404, 'nor a reviewer');
    t.equal(await status(world.manager, url), 200, 'an exam manager of the exam reads it, as they read the form');
    t.equal(await status(world.otherManager, url), 404, 'an exam manager elsewhere does not');
    for (const c of candidates) t.equal(await status(c.call, url), 404, 'a candidate on the roster, before the exam opens');
  }
  const write = await world.author({ method: 'POST', url: '/api/items', payload: { ...itemBody({ type: 'single_choice', topic: 'leak', cognitiveLevel: 1 }), stem: `<p><img src="${urls[0]}"></p>` } });
  t.equal(write.statusCode, 400, 'nor can an author reach it by putting its address in an item of their own');
});

t.test('a candidate sitting an exam reads only the files of their own form', async (t) => {
  const open = await exam(-60_000);
  const sitting = candidates[0]!;
  const joined = await app.live.join(sitting.id, open, 'media-test', 1);
  t.equal(joined.kind, 'state');
  const attempt = await db.collection<{ _id: string; formCode: string }>('attempts').findOne({ _id: attemptIdFor(open, sitting.id) });
  const examDoc = await db.collection<{ _id: string; assemblyId: string }>('exams').findOne({ _id: open });
  const form = await db.collection<{ _id: string; items: { itemId: string }[] }>('forms').findOne({ _id: `${open}:${examDoc!.assemblyId}:${attempt!.formCode}` });
  t.equal(form!.items.length, 1);
  const mine = itemIds.indexOf(form!.items[0]!.itemId);
  t.not(mine, -1);
  t.equal(await status(sitting.call, urls[mine]!), 200, 'the picture of their own question');
  t.equal(await status(sitting.call, urls[1 - mine]!), 404, 'the picture of the other form: not found');
  for (const other of candidates.slice(1)) {
    t.equal(await status(other.call, urls[mine]!), 404, 'a candidate who has not started does not read it');
  }
  // The item is still on a form of the exam that has not opened: staff outside it still get nothing.
  t.equal(await status(world.author, urls[mine]!), 404);
  t.ok(future);

  // Once handed in, the candidate no longer sits the exam.
  await db.collection<{ _id: string; status: string }>('attempts').updateOne({ _id: attemptIdFor(open, sitting.id) }, { $set: { status: 'submitted' } });
  t.equal(await status(sitting.call, urls[mine]!), 404, 'after the hand-in');
});
