/**
 * Review comments kept with each workflow step of a revision (and shown in
 * its history), and the passage routes the staff app needs: list and edit.
 */
import t from 'tap';
import { build } from '../helper.js';
import { approvedItem, bankWorld, createItem, validItem } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await bankWorld(app);
const { authorA, reviewerA, reviewerB, candidateA, authorB, authorC, managerDep } = world.users;

const status = (user: typeof authorA, id: string, body: Record<string, unknown>) => user({ method: 'POST', url: `/api/items/${id}/status`, payload: body });

t.test('a send-back comment is stored with the step and shown in the history', async (t) => {
  const item = await createItem(authorA, validItem('single_choice', { sharing: 'subtree' }));
  t.equal((await status(authorA, item.id, { status: 'in_review', comment: 'Xin duyệt giúp.' })).statusCode, 200);
  const back = await status(reviewerA, item.id, { status: 'draft', comment: '  Phương án D chưa hợp lý.  ' });
  t.equal(back.statusCode, 200, back.body);
  t.match(back.json().statusLog, [
    { from: 'draft', to: 'in_review', by: world.ids.authorA, comment: 'Xin duyệt giúp.' },
    { from: 'in_review', to: 'draft', by: world.ids.reviewerA, comment: 'Phương án D chưa hợp lý.' },
  ]);
  t.match(back.json().lastReview, { revision: 1, to: 'draft', comment: 'Phương án D chưa hợp lý.' });

  // The author writes revision 2: its own log is empty, but the reason revision 1 came back travels with the item.
  const latest = (await authorA({ method: 'GET', url: `/api/items/${item.id}` })).json();
  const v2 = await authorA({ method: 'PUT', url: `/api/items/${item.id}`, payload: { ...latest, stem: '<p>Đã sửa phương án D.</p>' } });
  t.equal(v2.statusCode, 200, 'a GET answer with its log can be PUT back as it is');
  t.same(v2.json().statusLog, []);
  t.match(v2.json().lastReview, { revision: 1, to: 'draft', comment: 'Phương án D chưa hợp lý.' });
  await status(authorA, item.id, { status: 'in_review' });
  const queue = (await reviewerA({ method: 'GET', url: '/api/items?status=in_review' })).json().items;
  t.match(queue.find((i: { id: string }) => i.id === item.id), { revision: 2, lastReview: { comment: 'Phương án D chưa hợp lý.' } }, 'the review queue shows the earlier reason');

  const ok = await status(reviewerA, item.id, { status: 'approved', comment: 'Đạt.' });
  t.match(ok.json(), { status: 'approved', lastReview: { revision: 2, to: 'approved', comment: 'Đạt.' } });
  const r1 = (await authorA({ method: 'GET', url: `/api/items/${item.id}?revision=1` })).json();
  t.equal(r1.statusLog.length, 2, 'revision 1 keeps its own steps');
  const r2 = (await authorA({ method: 'GET', url: `/api/items/${item.id}?revision=2` })).json();
  t.match(r2.statusLog, [{ from: 'draft', to: 'in_review' }, { from: 'in_review', to: 'approved', comment: 'Đạt.' }]);
  t.notOk('comment' in r2.statusLog[0], 'no comment, no field');

  // Readers who may not author or review the item see neither key nor comments.
  const reader = (await authorC({ method: 'GET', url: `/api/items/${item.id}` }));
  t.equal(reader.statusCode, 404, 'another department does not see a subtree item');
  const other = (await managerDep({ method: 'GET', url: `/api/items/${item.id}` })).json();
  t.equal(other.keyIncluded, false);
  t.notOk('statusLog' in other || 'lastReview' in other, 'an exam manager reads the item without the review talk');
});

t.test('review comment: bad input, other organisations, candidates', async (t) => {
  const item = await createItem(authorA, validItem('true_false'));
  await status(authorA, item.id, { status: 'in_review' });
  const long = await status(reviewerA, item.id, { status: 'draft', comment: 'x'.repeat(4001) });
  t.equal(long.statusCode, 400);
  t.match(long.json(), { error: { code: 'validation_failed', details: [{ instancePath: '/comment' }] } });
  const notText = await status(reviewerA, item.id, { status: 'draft', comment: { text: 'x' } });
  t.equal(notText.statusCode, 400);
  t.equal(notText.json().error.code, 'validation_failed');
  const stranger = await status(authorC, item.id, { status: 'draft', comment: 'Không phải việc của tôi' });
  t.equal(stranger.statusCode, 404, 'an org-shared item of another department is not found');
  t.equal(stranger.json().error.code, 'not_found');
  const candidate = await status(candidateA, item.id, { status: 'draft', comment: 'x' });
  t.equal(candidate.statusCode, 403);
  t.equal(candidate.json().error.code, 'forbidden');
  const sibling = await status(reviewerB, item.id, { status: 'draft', comment: 'x' });
  t.equal(sibling.statusCode, 404, 'a reviewer of the sibling school does not see an org-shared item');
  const stillInReview = (await authorA({ method: 'GET', url: `/api/items/${item.id}` })).json();
  t.equal(stillInReview.status, 'in_review');
  t.equal(stillInReview.statusLog.length, 1, 'refused steps leave nothing in the log');
});

t.test('passages: list with filters and cursor, edit with a base revision', async (t) => {
  const mk = async (title: string, extra: Record<string, unknown> = {}) => {
    const res = await authorA({ method: 'POST', url: '/api/stimuli', payload: { title, content: `<p>${title}</p>`, subject: 'literature', ...extra } });
    t.equal(res.statusCode, 201, res.body);
    return res.json();
  };
  const a = await mk('Bài thơ Tây Tiến', { grade: 12 });
  const b = await mk('Đoạn trích Vợ nhặt', { grade: 12 });
  const c = await mk('Số liệu dân số', { grade: 11, sharing: 'private' });
  const other = await authorB({ method: 'POST', url: '/api/stimuli', payload: { title: 'Của trường B', content: '<p>B</p>', subject: 'literature' } });

  const list = await authorA({ method: 'GET', url: '/api/stimuli?subject=literature&limit=2' });
  t.equal(list.statusCode, 200, list.body);
  t.same(list.json().stimuli.map((s: { id: string }) => s.id), [a.id, b.id]);
  t.ok(list.json().nextCursor);
  const next = (await authorA({ method: 'GET', url: `/api/stimuli?subject=literature&limit=2&cursor=${list.json().nextCursor}` })).json();
  t.same(next.stimuli.map((s: { id: string }) => s.id), [c.id], 'the private passage is its author\'s; the other school\'s is not listed');
  t.equal(next.nextCursor, null);
  t.same((await authorA({ method: 'GET', url: '/api/stimuli?q=TAY TIEN' })).json().stimuli.map((s: { id: string }) => s.id), [a.id], 'title search ignores case and diacritics');
  t.same((await authorA({ method: 'GET', url: '/api/stimuli?q=tien bai' })).json().stimuli.map((s: { id: string }) => s.id), [a.id], 'every word, in any order');
  t.same((await authorA({ method: 'GET', url: '/api/stimuli?q=tien nhat' })).json().stimuli, []);
  t.same((await authorA({ method: 'GET', url: '/api/stimuli?grade=11' })).json().stimuli.map((s: { id: string }) => s.id), [c.id]);
  t.same((await reviewerA({ method: 'GET', url: '/api/stimuli' })).json().stimuli.map((s: { id: string }) => s.id), [a.id, b.id], 'a reviewer of the school sees org passages, not private ones');
  t.equal((await candidateA({ method: 'GET', url: '/api/stimuli' })).statusCode, 403, 'candidates never read the bank');
  const badFilter = await authorA({ method: 'GET', url: '/api/stimuli?subjet=literature' });
  t.equal(badFilter.statusCode, 400);
  t.equal(badFilter.json().error.code, 'validation_failed');
  t.equal((await authorA({ method: 'GET', url: '/api/stimuli?cursor=nonsense' })).json().error.code, 'validation_failed');

  const edit = await authorA({ method: 'PUT', url: `/api/stimuli/${a.id}`, payload: { ...a, content: '<p>Sông Mã xa rồi Tây Tiến ơi!</p>' } });
  t.equal(edit.statusCode, 200, edit.body);
  t.match(edit.json(), { id: a.id, revision: 2, content: '<p>Sông Mã xa rồi Tây Tiến ơi!</p>', authorId: world.ids.authorA });
  const edited = edit.json() as Record<string, unknown>;
  const stale = await authorA({ method: 'PUT', url: `/api/stimuli/${a.id}`, payload: { ...a, title: 'Cũ' } });
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().error.code, 'revision_conflict');
  t.equal((await authorA({ method: 'GET', url: `/api/stimuli/${a.id}` })).json().content, '<p>Sông Mã xa rồi Tây Tiến ơi!</p>');
  const invalid = await authorA({ method: 'PUT', url: `/api/stimuli/${a.id}`, payload: { revision: 2, title: '', content: '<p>x</p>', subject: 'literature' } });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.json().error.details, [{ instancePath: '/title' }]);
  t.equal((await authorA({ method: 'PUT', url: `/api/stimuli/${a.id}`, payload: { title: 'x', content: '<p>x</p>', subject: 'literature' } })).statusCode, 400, 'the base revision is required');
  t.equal((await reviewerA({ method: 'PUT', url: `/api/stimuli/${a.id}`, payload: { ...edited } })).statusCode, 403, 'a reviewer reads but does not write');
  t.equal((await authorB({ method: 'PUT', url: `/api/stimuli/${a.id}`, payload: { ...edited } })).statusCode, 404, 'another school does not see an org passage');
  t.equal((await authorB({ method: 'PUT', url: `/api/stimuli/${other.json().id}x`, payload: { ...edited } })).statusCode, 404);
  t.equal((await candidateA({ method: 'PUT', url: `/api/stimuli/${a.id}`, payload: { ...edited } })).statusCode, 403);

  // Once an approved item uses the passage, it is reviewed content and stays as it is.
  await approvedItem(authorA, reviewerA, validItem('short_text', { stimulusId: b.id }));
  const locked = await authorA({ method: 'PUT', url: `/api/stimuli/${b.id}`, payload: { ...b, title: 'Đổi tên' } });
  t.equal(locked.statusCode, 409);
  t.equal(locked.json().error.code, 'stimulus_in_use');
});
