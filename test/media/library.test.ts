import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { detectType } from '../../src/media/detect.js';
import { CHUNK_BYTES, type MediaDoc } from '../../src/media/media-model.js';
import { sanitizeSvg } from '../../src/media/svg.js';
import { build } from '../helper.js';
import { bankWorld, createItem, validItem } from '../support/fixtures/index.js';

const IMAGE_LIMIT = 2 * 1024 * 1024;
const AUDIO_LIMIT = 3 * 1024 * 1024;
const { app } = await build(t, { MEDIA_MAX_IMAGE_BYTES: String(IMAGE_LIMIT), MEDIA_MAX_AUDIO_BYTES: String(AUDIO_LIMIT) });
const world = await bankWorld(app);
const author = world.users.authorA;

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), randomBytes(64)]);
const GIF = Buffer.concat([Buffer.from('GIF89a'), randomBytes(32)]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 '), randomBytes(32)]);
const MP3_ID3 = Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0, 0, 0, 0, 0]), randomBytes(64)]);
const MP3_FRAME = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), randomBytes(64)]);
const OGG = Buffer.concat([Buffer.from('OggS'), randomBytes(64)]);
const M4A = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A '), randomBytes(64)]);
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="red"/></svg>';

const mediaDocs = () => app.mongo.db!.collection<MediaDoc>('media');
const chunkDocs = () => app.mongo.db!.collection<{ _id: string; data: unknown }>('media_chunks');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function upload(body: Buffer | string, contentType = 'application/octet-stream', who = author) {
  return who({ method: 'POST', url: '/api/media', payload: body, headers: { 'content-type': contentType } });
}

t.test('types are read from the bytes, not from what the client says', async (t) => {
  const cases: [Buffer, string][] = [
    [PNG, 'image/png'],
    [JPEG, 'image/jpeg'],
    [GIF, 'image/gif'],
    [WEBP, 'image/webp'],
    [MP3_ID3, 'audio/mpeg'],
    [MP3_FRAME, 'audio/mpeg'],
    [OGG, 'audio/ogg'],
    [M4A, 'audio/mp4'],
    [Buffer.from(`<?xml version="1.0"?>\n<!-- drawn by hand -->\n${SVG}`), 'image/svg+xml'],
  ];
  for (const [bytes, type] of cases) t.equal(detectType(bytes), type, type);
  t.equal(detectType(Buffer.from('<html><script>alert(1)</script></html>')), null, 'HTML is no image');
  t.equal(detectType(Buffer.from('MZ\x90\x00 an executable')), null);
  t.equal(detectType(Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypqt  ')])), null, 'a QuickTime video is no audio file');

  // A PNG declared as audio is stored as what it is.
  const png = await upload(PNG, 'audio/mpeg');
  t.equal(png.statusCode, 201, png.body);
  t.match(png.json(), { type: 'image/png', kind: 'image', bytes: PNG.length, hash: sha(PNG), id: sha(PNG), url: `/api/media/${sha(PNG)}` });
  const m4a = await upload(M4A, 'image/png');
  t.match(m4a.json(), { type: 'audio/mp4', kind: 'audio' });

  // A page lying about its type is refused, and so is an empty body.
  const liar = await upload(Buffer.from('<html><body onload="steal()">hi</body></html>'), 'image/png');
  t.equal(liar.statusCode, 415);
  t.equal(liar.json().error.code, 'unsupported_media_type');
  t.equal((await upload(Buffer.alloc(0))).statusCode, 400);
});

t.test('only authors upload', async (t) => {
  t.equal((await upload(PNG, 'image/png', world.users.reviewerA)).statusCode, 403);
  t.equal((await upload(PNG, 'image/png', world.users.candidateA)).statusCode, 403);
  t.equal((await app.inject({ method: 'POST', url: '/api/media', payload: PNG, headers: { 'content-type': 'image/png' } })).statusCode, 401);
});

t.test('the same bytes are stored once, whoever uploads them', async (t) => {
  const bytes = Buffer.concat([GIF, Buffer.from('dedupe')]);
  const first = (await upload(bytes)).json();
  const second = (await upload(bytes, 'image/gif', world.users.authorB)).json();
  t.equal(first.hash, second.hash);
  t.equal(first.deduplicated, false);
  t.equal(second.deduplicated, true);
  const docs = await mediaDocs().find({ _id: first.hash }).toArray();
  t.equal(docs.length, 1, 'one metadata document');
  t.same(docs[0]!.orgs.sort(), [world.orgs.schoolA, world.orgs.schoolB].sort(), 'both uploading organisations are kept');
  const chunks = await chunkDocs().countDocuments({ _id: `${first.hash}:0` });
  t.equal(chunks, 1);
});

t.test('size limits per kind come from the configuration', async (t) => {
  const bigImage = Buffer.concat([PNG.subarray(0, 8), Buffer.alloc(IMAGE_LIMIT + 1 - 8, 1)]);
  const refused = await upload(bigImage);
  t.equal(refused.statusCode, 413);
  t.match(refused.json().error, { code: 'payload_too_large', details: [{ kind: 'image', limit: IMAGE_LIMIT }] });
  // The same size is fine for audio, whose limit is higher.
  const audio = Buffer.concat([MP3_ID3.subarray(0, 10), Buffer.alloc(IMAGE_LIMIT + 1 - 10, 2)]);
  t.equal((await upload(audio)).statusCode, 201);
  const bigAudio = Buffer.concat([MP3_ID3.subarray(0, 10), Buffer.alloc(AUDIO_LIMIT + 1 - 10, 3)]);
  t.equal((await upload(bigAudio)).statusCode, 413);
});

t.test('SVG is kept only sanitised', async (t) => {
  const evil =
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" onload="alert(1)">' +
    '<script>alert(2)</script><defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>' +
    '<rect width="10" height="10" fill="url(#g)" onclick="steal()"/><rect style="fill:url(https://evil.example/t)"/><circle fill="url(https://evil.example/c)" r="1"/>' +
    '<image href="https://evil.example/x.png"/><use xlink:href="https://evil.example/a.svg#x"/><use xlink:href="#g"/>' +
    '<a href="javascript:alert(3)"><text>hi</text></a><foreignObject><div>html</div></foreignObject><style>@import url(https://evil.example/s.css)</style>' +
    '<animate attributeName="href" to="javascript:alert(4)"/><set attributeName="onload" to="alert(5)"/></svg>';
  const res = await upload(Buffer.from(evil), 'image/svg+xml');
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().type, 'image/svg+xml');
  const served = await author({ method: 'GET', url: res.json().url });
  t.equal(served.statusCode, 200, 'the uploader reads it back');
  const svg = served.body;
  for (const bad of ['script', 'alert', 'onload', 'onclick', 'evil.example', 'javascript', 'foreignObject', 'animate', '<set', '<image', '<style', '<a ', 'ENTITY']) {
    t.notOk(svg.includes(bad), `no ${bad}`);
  }
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 10 10">/, 'the root and its case-sensitive viewBox stay');
  t.match(svg, /<linearGradient id="g">/, 'gradients (case kept) stay');
  t.match(svg, /fill="url\(#g\)"/, 'local references stay');
  t.match(svg, /<use href="#g">/, 'xlink:href becomes a plain local href');
  t.equal(res.json().hash, sha(Buffer.from(svg)), 'the hash is of the stored, sanitised bytes');
  t.equal(served.headers['content-security-policy'], "default-src 'none'; style-src 'unsafe-inline'; sandbox", 'opened on its own, it runs nothing');
  t.equal(served.headers['content-type'], 'image/svg+xml');
  t.equal(sanitizeSvg(Buffer.from('<svg><script>x</script>')) !== null, true, 'an empty drawing is still an SVG');
  t.equal((await upload(Buffer.from('<svg:svg xmlns:svg="http://www.w3.org/2000/svg"/>'))).statusCode, 415, 'prefixed roots are not guessed at');
});

t.test('serving: long-lived immutable caching, ETag, 304, nosniff', async (t) => {
  const { url, hash } = (await upload(JPEG)).json();
  const res = await author({ method: 'GET', url });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'image/jpeg');
  t.equal(res.headers['cache-control'], 'private, max-age=31536000, immutable');
  t.equal(res.headers.etag, `"${hash}"`);
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(res.headers['accept-ranges'], 'bytes');
  t.equal(Number(res.headers['content-length']), JPEG.length);
  t.same(res.rawPayload, JPEG);
  const again = await author({ method: 'GET', url, headers: { 'if-none-match': `"${hash}"` } });
  t.equal(again.statusCode, 304);
  t.equal(again.rawPayload.length, 0);
  t.equal((await author({ method: 'GET', url, headers: { 'if-none-match': '"other"' } })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url })).statusCode, 401, 'no token, no file');
  t.equal((await author({ method: 'GET', url: `/api/media/${'0'.repeat(64)}` })).statusCode, 404);
  t.equal((await author({ method: 'GET', url: '/api/media/not-a-hash' })).statusCode, 404);
});

t.test('a file over 1 MiB is chunked and reassembled byte for byte; ranges for audio', async (t) => {
  const audio = Buffer.concat([MP3_ID3.subarray(0, 10), randomBytes(1024 * 1024 + 300_000)]);
  const up = await upload(audio, 'audio/mpeg');
  t.equal(up.statusCode, 201, up.body);
  const { hash, url } = up.json();
  t.equal(hash, sha(audio));
  const stored = await chunkDocs().find({ _id: { $in: [0, 1, 2, 3, 4, 5, 6].map((n) => `${hash}:${n}`) } }, { projection: { _id: 1 } }).toArray();
  t.equal(stored.length, Math.ceil(audio.length / CHUNK_BYTES), 'chunks of at most 255 KiB');
  t.ok(CHUNK_BYTES <= 255 * 1024);
  const whole = await author({ method: 'GET', url });
  t.equal(whole.statusCode, 200);
  t.equal(sha(whole.rawPayload), hash, 'byte-exact');

  // A range across a chunk boundary.
  const from = CHUNK_BYTES - 100;
  const to = CHUNK_BYTES * 2 + 50;
  const part = await author({ method: 'GET', url, headers: { range: `bytes=${from}-${to}` } });
  t.equal(part.statusCode, 206);
  t.equal(part.headers['content-range'], `bytes ${from}-${to}/${audio.length}`);
  t.equal(Number(part.headers['content-length']), to - from + 1);
  t.ok(part.rawPayload.equals(audio.subarray(from, to + 1)), 'the range is the right bytes');
  const tail = await author({ method: 'GET', url, headers: { range: 'bytes=-10' } });
  t.ok(tail.rawPayload.equals(audio.subarray(audio.length - 10)), 'a suffix range');
  const open = await author({ method: 'GET', url, headers: { range: `bytes=${audio.length - 5}-` } });
  t.ok(open.rawPayload.equals(audio.subarray(audio.length - 5)), 'an open-ended range');
  const beyond = await author({ method: 'GET', url, headers: { range: `bytes=${audio.length}-` } });
  t.equal(beyond.statusCode, 416);
  t.equal(beyond.headers['content-range'], `bytes */${audio.length}`);
  t.equal(beyond.json().error.code, 'range_not_satisfiable');
  const several = await author({ method: 'GET', url, headers: { range: 'bytes=0-1,5-6' } });
  t.equal(several.statusCode, 200, 'several ranges: the whole file');
});

t.test('data: images in item and passage HTML move into the library on write', async (t) => {
  const data = `data:image/png;base64,${PNG.toString('base64')}`;
  const item = await createItem(author, validItem('single_choice', { stem: `<p>Hình:<img src="${data}" alt="h"></p>`, options: [{ id: 'A', text: `<img src="${data}">` }, { id: 'B', text: 'không' }], correct: ['A'] }));
  const url = `/api/media/${sha(PNG)}`;
  t.equal(item.stem, `<p>Hình:<img src="${url}" alt="h" /></p>`);
  const read = (await author({ method: 'GET', url: `/api/items/${item.id}` })).json();
  t.equal(read.stem, item.stem, 'stored with the library source');
  t.equal(read.options[0].text, `<img src="${url}" />`, 'in options too');
  const doc = await mediaDocs().findOne({ _id: sha(PNG) });
  t.ok(doc!.refs.includes(`item:${item.id}:1`), 'the revision is recorded as showing the file');

  // An update (a new revision) records its own reference.
  const put = await author({ method: 'PUT', url: `/api/items/${item.id}`, payload: { ...read, stem: `<p>Lại:<img src="${data}"></p>` } });
  t.equal(put.statusCode, 200, put.body);
  t.equal(put.json().stem, `<p>Lại:<img src="${url}" /></p>`);
  t.ok((await mediaDocs().findOne({ _id: sha(PNG) }))!.refs.includes(`item:${item.id}:2`));

  // Bulk (what imports use).
  const bulk = await author({ method: 'POST', url: '/api/items/bulk', payload: { items: [validItem('true_false', { stem: `<p><img src="${data}"></p>` })] } });
  const bulkId = bulk.json().results[0].id;
  t.equal((await author({ method: 'GET', url: `/api/items/${bulkId}` })).json().stem, `<p><img src="${url}" /></p>`);

  // Passages.
  const passage = await author({ method: 'POST', url: '/api/stimuli', payload: { title: 'Hình', content: `<p><img src="${data}"></p>`, subject: 'math', grade: 12 } });
  t.equal(passage.statusCode, 201, passage.body);
  t.equal(passage.json().content, `<p><img src="${url}" /></p>`);
  t.ok((await mediaDocs().findOne({ _id: sha(PNG) }))!.refs.includes(`stimulus:${passage.json().id}:1`));

  // Bytes that are no image, behind a data:image/png label, are refused with where they are.
  const fake = await author({ method: 'POST', url: '/api/items', payload: validItem('true_false', { stem: `<p><img src="data:image/png;base64,${Buffer.from('<script>x</script>').toString('base64')}"></p>` }) });
  t.equal(fake.statusCode, 400);
  t.match(fake.json().error.details, [{ instancePath: '/stem', keyword: 'media' }]);
});

t.test('a library file named by hash must be one the writer may read', async (t) => {
  const secret = Buffer.concat([GIF, Buffer.from('only for school C')]);
  const { hash } = (await upload(secret, 'image/gif', world.users.authorC)).json();
  const res = await author({ method: 'POST', url: '/api/items', payload: validItem('true_false', { stem: `<p><img src="/api/media/${hash}"></p>` }) });
  t.equal(res.statusCode, 400, 'knowing a hash of another department gives no access to it');
  t.match(res.json().error.details, [{ instancePath: '/stem', keyword: 'media' }]);
  t.equal((await author({ method: 'GET', url: `/api/media/${hash}` })).statusCode, 404);
  const own = (await upload(Buffer.concat([GIF, Buffer.from('mine')]))).json();
  const ok = await author({ method: 'POST', url: '/api/items', payload: validItem('true_false', { stem: `<p><img src="${own.url}"></p>` }) });
  t.equal(ok.statusCode, 201, 'an uploaded file is used by its URL');
});
