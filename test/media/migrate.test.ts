import { createHash } from 'node:crypto';
import t from 'tap';
import { runEntry } from '../support/processes.js';
import type { MediaDoc } from '../../src/media/media-model.js';
import { build } from '../helper.js';
import { bankWorld, createItem, validItem } from '../support/fixtures/index.js';

/** `npm run media:migrate` as an operator runs it: its own process, on the configured database and Redis. */

const { app, config } = await build(t);
const world = await bankWorld(app);
const db = app.mongo.db!;

const PNG = Buffer.concat([Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'), Buffer.from('old')]);
const hash = createHash('sha256').update(PNG).digest('hex');
const data = `data:image/png;base64,${PNG.toString('base64')}`;
const notAnImage = `data:image/png;base64,${Buffer.from('<script>alert(1)</script>').toString('base64')}`;

function cli() {
  return runEntry('src/cli/media-migrate.ts', [], {
    NODE_ENV: 'test',
    DATA_DIR: config.DATA_DIR,
    MONGODB_URI: config.MONGODB_URI!,
    REDIS_URL: config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    JWT_SECRET: config.JWT_SECRET,
    AUDIT_KEY: config.AUDIT_KEY,
  });
}

// Content stored before the library existed: data: images in the revisions themselves.
const item = await createItem(world.users.authorA, validItem('single_choice'));
const revisions = db.collection<{ _id: string; stem?: string; options?: { id: string; text: string }[] }>('item_revisions');
await revisions.updateOne({ _id: `${item.id}:1` }, { $set: { stem: `<p>Hình cũ:<img src="${data}" alt="cũ" /></p>`, 'options.0.text': `<img src="${data}" />` } });
const broken = await createItem(world.users.authorA, validItem('true_false'));
await revisions.updateOne({ _id: `${broken.id}:1` }, { $set: { stem: `<p><img src="${notAnImage}" /></p>` } });
const passage = (await world.users.authorA({ method: 'POST', url: '/api/stimuli', payload: { title: 'Cũ', content: '<p>x</p>', subject: 'math', grade: 12 } })).json();
await db.collection<{ _id: string; content: string }>('stimuli').updateOne({ _id: passage.id }, { $set: { content: `<p><img src="${data}" /></p>` } });
await db.collection<{ _id: string; content: string }>('stimulus_revisions').updateOne({ _id: `${passage.id}:1` }, { $set: { content: `<p><img src="${data}" /></p>` } });

t.test('moves inline images of items and passages into the library, once', async (t) => {
  const first = await cli();
  t.equal(first.code, 3, `exit 3: a document was left as it was\n${first.stderr}`);
  const report = JSON.parse(first.stdout);
  t.match(report, { itemRevisions: 1, stimuli: 1, stimulusRevisions: 1, files: 1 });
  t.match(report.skipped, [{ collection: 'item_revisions', id: `${broken.id}:1`, reason: /media library/ }]);

  const url = `/api/media/${hash}`;
  const rev = await revisions.findOne({ _id: `${item.id}:1` });
  t.equal(rev!.stem, `<p>Hình cũ:<img src="${url}" alt="cũ" /></p>`);
  t.equal(rev!.options![0]!.text, `<img src="${url}" />`);
  t.equal((await db.collection<{ _id: string; content: string }>('stimuli').findOne({ _id: passage.id }))!.content, `<p><img src="${url}" /></p>`);
  t.equal((await db.collection<{ _id: string; content: string }>('stimulus_revisions').findOne({ _id: `${passage.id}:1` }))!.content, `<p><img src="${url}" /></p>`);
  const media = await db.collection<MediaDoc>('media').findOne({ _id: hash });
  t.same(media!.refs.sort(), [`item:${item.id}:1`, `stimulus:${passage.id}:1`].sort());
  t.same(media!.orgs, [world.orgs.schoolA], 'kept for the organisation that owns the content');

  // What the API serves: the moved revision (its cached copy replaced too) and the file to those who may see the item.
  t.equal((await world.users.authorA({ method: 'GET', url: `/api/items/${item.id}` })).json().stem, rev!.stem);
  const file = await world.users.authorA2({ method: 'GET', url });
  t.equal(file.statusCode, 200);
  t.ok(file.rawPayload.equals(PNG), 'byte for byte');
  t.equal((await world.users.authorC({ method: 'GET', url })).statusCode, 404, 'another department');

  const second = await cli();
  t.equal(second.code, 3, second.stderr);
  t.match(JSON.parse(second.stdout), { itemRevisions: 0, stimuli: 0, stimulusRevisions: 0, files: 0 }, 'a second run finds nothing to move');
  t.equal((await revisions.findOne({ _id: `${item.id}:1` }))!.stem, rev!.stem, 'and changes nothing');
  t.equal(await db.collection('media_chunks').countDocuments({ _id: `${hash}:0` } as never), 1);
});
