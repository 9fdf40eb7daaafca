import t from 'tap';
import { RedisSearchIndex } from '../../src/bank/redis-search-index.js';
import { BANK_SEARCH_KINDS } from '../../src/bank/search-index.js';
import { build } from '../helper.js';
import { bankWorld, createItem, setStatus, validItem } from '../support/fixtures/index.js';

// GET /api/items answers the same whichever search index BANK_SEARCH selects.
for (const kind of BANK_SEARCH_KINDS) {
  t.test(`BANK_SEARCH=${kind}`, async (t) => {
    const { app } = await build(t, { BANK_SEARCH: kind });
    t.equal(app.bank.index.kind, kind);
    // The Redis index is built in the background; these searches are meant for it, not for its database fallback.
    if (app.bank.index instanceof RedisSearchIndex) await app.bank.index.ensureBuilt();
    const world = await bankWorld(app);
    const author = world.users.authorA;
    const reviewer = world.users.reviewerA;

    const quadratic = await createItem(author, validItem('single_choice', { stem: '<p>Giải <b>phương trình</b> bậc hai \\(x^2-1=0\\)</p>', tags: ['đại số', 'thpt'] }));
    const trig = await createItem(author, validItem('numeric', { stem: '<p>PHƯƠNG TRÌNH lượng giác có bao nhiêu nghiệm?</p>', grade: 11, topic: 'luong-giac', cognitiveLevel: 2 }));
    const circle = await createItem(author, validItem('true_false', { stem: '<p>Đường tròn nội tiếp tam giác đều</p>', subject: 'geometry', cognitiveLevel: 3 }));
    const options = await createItem(author, validItem('single_choice', {
      stem: '<p>Chọn khẳng định đúng</p>',
      options: [{ id: 'A', text: 'Đạo hàm của hằng số bằng 0' }, { id: 'B', text: 'Tích phân' }],
      correct: ['A'],
    }));
    const capital = await createItem(author, validItem('short_text', { stem: '<p>Thủ đô nước ta?</p>', accepted: ['Hà Nội'] }));
    for (const [who, status] of [[author, 'in_review'], [reviewer, 'approved']] as const) await setStatus(who, trig.id, status);

    async function find(query: string): Promise<string[]> {
      const res = await author({ method: 'GET', url: `/api/items?${query}` });
      if (res.statusCode !== 200) throw new Error(`${query}: ${res.statusCode} ${res.body}`);
      return res.json().items.map((i: { id: string }) => i.id);
    }
    const q = (text: string) => find(`q=${encodeURIComponent(text)}`);

    t.test('q ignores case, diacritics, đ and the Unicode normal form', async (t) => {
      const both = [quadratic.id, trig.id];
      t.same(await q('phuong trinh'), both, 'without diacritics');
      t.same(await q('Phương trình'), both, 'as written');
      t.same(await q('PHƯƠNG TRÌNH'.normalize('NFD')), both, 'upper case, decomposed');
      t.same(await q('phương trình'.normalize('NFD')), both, 'decomposed');
      t.same(await q('  PhUoNg   TRINH  '), both, 'odd spacing and case');
      t.same(await q('đường tròn'), [circle.id]);
      t.same(await q('duong tron'), [circle.id], 'đ folds to d');
      t.same(await q('ĐƯỜNG'), [circle.id], 'Đ folds to d');
      t.same(await q('DUONG'), [circle.id]);
      t.same(await q('dao ham'), [options.id], 'option words count');
      t.same(await q('phuong tron'), [], 'every word must match');
      t.same(await q('phuong trinh luong giac'), [trig.id]);
      t.same(await q('x'), [quadratic.id], 'maths text is searchable too');
      t.same(await q('ha noi'), [], 'the answer key is not searchable');
      t.same(await q('phuong&trinh'), both, 'punctuation separates words');
    });

    t.test('filters, alone and with q', async (t) => {
      t.same(await find('subject=geometry'), [circle.id]);
      t.same(await find('grade=11'), [trig.id]);
      t.same(await find('topic=luong-giac'), [trig.id]);
      t.same(await find('cognitiveLevel=3'), [circle.id]);
      t.same(await find('type=short_text'), [capital.id]);
      t.same(await find('status=approved'), [trig.id]);
      t.same(await find('status=draft&type=single_choice'), [quadratic.id, options.id]);
      t.same(await find(`tag=${encodeURIComponent('đại số')}`), [quadratic.id]);
      t.same(await find(`subject=math&grade=10&q=${encodeURIComponent('phuong trinh')}`), [quadratic.id]);
      t.same(await find('subject=math&status=approved&q=phuong'), [trig.id]);
      t.same(await find('subject=history'), []);
      for (const bad of ['grade=abc', 'cognitiveLevel=7', 'type=hotspot', 'status=lost', 'colour=red']) {
        const res = await author({ method: 'GET', url: `/api/items?${bad}` });
        t.equal(res.statusCode, 400, bad);
        t.equal(res.json().error.code, 'validation_failed');
      }
    });

    t.test('cursor pagination has no gaps and no repeats, even while items are added', async (t) => {
      const bulk = await author({
        method: 'POST',
        url: '/api/items/bulk',
        payload: { items: Array.from({ length: 37 }, (_, i) => validItem('numeric', { subject: 'paging', value: i, stem: `<p>Trang ${i}</p>` })) },
      });
      t.equal(bulk.statusCode, 200);
      const before = (await find('subject=paging&limit=200'));
      t.equal(before.length, 37);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      let added = 0;
      do {
        const res = await author({ method: 'GET', url: `/api/items?subject=paging&limit=5${cursor ? `&cursor=${cursor}` : ''}` });
        t.equal(res.statusCode, 200);
        const body = res.json() as { items: { id: string }[]; nextCursor: string | null };
        t.ok(body.items.length <= 5);
        seen.push(...body.items.map((i) => i.id));
        cursor = body.nextCursor;
        pages++;
        // New items arrive while someone pages through; they belong after everything already listed.
        if (pages === 2 || pages === 5) {
          await createItem(author, validItem('numeric', { subject: 'paging', stem: `<p>Mới ${pages}</p>` }));
          added++;
        }
      } while (cursor !== null && pages < 50);
      t.equal(new Set(seen).size, seen.length, 'no item twice');
      t.same(seen.slice(0, 37), before, 'every item that existed, in order');
      t.equal(seen.length, 37 + added, 'and the new ones at the end');
      t.same(seen, [...seen].sort(), 'creation order');

      const last = await author({ method: 'GET', url: '/api/items?subject=paging&limit=200' });
      t.equal(last.json().nextCursor, null, 'no cursor after the last page');
      const exact = await author({ method: 'GET', url: '/api/items?subject=paging&limit=39' });
      t.equal(exact.json().items.length, 39);
      t.equal(exact.json().nextCursor, null, 'a page that ends the list exactly has no cursor');
      await author({ method: 'POST', url: '/api/items/bulk', payload: { items: Array.from({ length: 10 }, () => validItem('true_false')) } });
      const dflt = await author({ method: 'GET', url: '/api/items' });
      t.equal(dflt.json().items.length, 50, 'default page size is 50');
      t.type(dflt.json().nextCursor, 'string');
    });

    t.test('limits and cursors are checked', async (t) => {
      for (const bad of ['limit=201', 'limit=0', 'limit=-1', 'cursor=not-a-cursor', `cursor=${Buffer.from('x').toString('base64url')}`]) {
        const res = await author({ method: 'GET', url: `/api/items?${bad}` });
        t.equal(res.statusCode, 400, bad);
        t.equal(res.json().error.code, 'validation_failed');
      }
      t.equal((await author({ method: 'GET', url: '/api/items?limit=200' })).statusCode, 200);
    });
  });
}
