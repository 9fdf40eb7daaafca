import t, { type Test } from 'tap';
import sanitizeHtml from 'sanitize-html';
import { sanitizeRichText } from '../../src/bank/sanitize.js';
import { build } from '../helper.js';
import { bankWorld, createItem, validItem } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await bankWorld(app);
const author = world.users.authorA;

/** The stem as stored after writing `stem`. */
async function storedStem(t: Test, stem: string): Promise<string> {
  const item = await createItem(author, validItem('true_false', { stem }));
  const read = await author({ method: 'GET', url: `/api/items/${item.id}` });
  t.equal(read.json().stem, item.stem, 'what the write answered is what is stored');
  return item.stem as string;
}

t.test('scripts, event handlers and javascript: URLs are removed', async (t) => {
  t.equal(await storedStem(t, '<p>Tính <script>alert(1)</script>giá trị</p>'), '<p>Tính giá trị</p>');
  t.equal(await storedStem(t, '<p onclick="steal()" style="color:red">Câu 1</p>'), '<p>Câu 1</p>');
  t.equal(await storedStem(t, '<p><a href="javascript:alert(1)">bấm</a> vào đây</p>'), '<p>bấm vào đây</p>');
  t.equal(await storedStem(t, '<p>x</p><style>p{display:none}</style><iframe src="https://evil.example"></iframe>'), '<p>x</p>');
  t.equal(await storedStem(t, '<p>x<img src=x onerror="alert(1)"></p>'), '<p>x<img src="x" /></p>');
  t.equal(await storedStem(t, '<svg onload="alert(1)"><p>y</p></svg>'), '<p>y</p>');
});

t.test('images only from our origin or data: rasters', async (t) => {
  const png = 'data:image/png;base64,iVBORw0KGgo=';
  t.match(await storedStem(t, `<p>Hình:<img src="${png}" alt="đồ thị"></p>`), /^<p>Hình:<img src="\/api\/media\/[0-9a-f]{64}" alt="đồ thị" \/><\/p>$/, 'a data: raster survives, moved into the media library');
  t.equal(await storedStem(t, '<p>Hình:<img src="/media/h1.png" width="200"></p>'), '<p>Hình:<img src="/media/h1.png" width="200" /></p>');
  t.equal(await storedStem(t, '<p>Hình:<img src="https://evil.example/track.png"></p>'), '<p>Hình:</p>', 'foreign origin');
  t.equal(await storedStem(t, '<p>Hình:<img src="//evil.example/track.png"></p>'), '<p>Hình:</p>', 'protocol-relative');
  t.equal(await storedStem(t, '<p>Hình:<img src="javascript:alert(1)"></p>'), '<p>Hình:</p>');
  t.equal(await storedStem(t, '<p>Hình:<img src="data:image/svg+xml;base64,PHN2Zz4="></p>'), '<p>Hình:</p>', 'SVG can carry script');
  t.equal(await storedStem(t, '<p>Hình:<img src="data:text/html;base64,PGI+"></p>'), '<p>Hình:</p>');
});

t.test('the allowed subset and maths delimiters survive', async (t) => {
  const rich =
    '<p><b>b</b><i>i</i><u>u</u>H<sub>2</sub>O x<sup>2</sup><br /><code>f(x)</code></p>' +
    '<ul><li>một</li></ul><ol><li>hai</li></ol>' +
    '<table><tr><th colspan="2">Bảng</th></tr><tr><td>1</td><td rowspan="1">2</td></tr></table>';
  t.equal(await storedStem(t, rich), rich);
  t.equal(await storedStem(t, '<p>Giải \\(x^2 - 5x + 6 = 0\\) và \\[\\frac{a}{b}\\]</p>'), '<p>Giải \\(x^2 - 5x + 6 = 0\\) và \\[\\frac{a}{b}\\]</p>');
  t.equal(await storedStem(t, '<p>Biết \\(a<b\\) và \\[b>c\\], so sánh a và c.</p>'), '<p>Biết \\(a&lt;b\\) và \\[b&gt;c\\], so sánh a và c.</p>', 'a < inside maths is not a tag');
  t.equal(await storedStem(t, '<p>Tom &amp; Jerry, 3 > 2</p>'), '<p>Tom &amp; Jerry, 3 &gt; 2</p>');
  t.equal(await storedStem(t, '<p><strong>Chú ý</strong>: <em>không</em> dùng <ins>máy tính</ins></p>'), '<p><b>Chú ý</b>: <i>không</i> dùng <u>máy tính</u></p>', 'strong, em and ins keep their emphasis as b, i and u');
});

t.test('option, statement and cloze texts are sanitised as well', async (t) => {
  const sc = await createItem(author, validItem('single_choice', {
    options: [{ id: 'A', text: '<b onmouseover="x()">Một</b><script>1</script>' }, { id: 'B', text: 'Hai' }],
    correct: ['A'],
  }));
  t.same(sc.options, [{ id: 'A', text: '<b>Một</b>' }, { id: 'B', text: 'Hai' }]);
  const tf = await createItem(author, validItem('true_false_cluster', {
    statements: ['a', 'b', 'c', 'd'].map((id) => ({ id, text: `<i>${id}</i><img src="http://x.example/p.gif">` })),
  }));
  t.same((tf.statements as { text: string }[]).map((s) => s.text), ['<i>a</i>', '<i>b</i>', '<i>c</i>', '<i>d</i>']);
  const cloze = await createItem(author, validItem('cloze', { text: '<p onclick="x">{{b1}} <script>x</script>và {{b2}}</p>' }));
  t.equal(cloze.text, '<p>{{b1}} và {{b2}}</p>');
});

t.test('text that is only unsafe markup is refused, naming the field', async (t) => {
  const res = await author({ method: 'POST', url: '/api/items', payload: validItem('true_false', { stem: '<script>alert(1)</script>' }) });
  t.equal(res.statusCode, 400);
  t.match(res.json().error.details, [{ instancePath: '/stem' }]);
  const opt = await author({
    method: 'POST',
    url: '/api/items',
    payload: validItem('single_choice', { options: [{ id: 'A', text: '<iframe></iframe>' }, { id: 'B', text: 'b' }], correct: ['B'] }),
  });
  t.equal(opt.statusCode, 400);
  t.match(opt.json().error.details, [{ instancePath: '/options/0/text' }]);
});

t.test('all text is stored as NFC, whatever form it was typed in', async (t) => {
  const nfd = (s: string) => s.normalize('NFD');
  const item = await createItem(author, {
    ...validItem('short_text'),
    stem: nfd('<p>Thủ đô của nước Việt Nam là thành phố nào?</p>'),
    accepted: [nfd('Hà Nội')],
    tags: [nfd('địa lý')],
  });
  t.not(nfd('Hà Nội'), 'Hà Nội', 'the input really was decomposed');
  t.equal(item.stem, '<p>Thủ đô của nước Việt Nam là thành phố nào?</p>');
  t.same(item.accepted, ['Hà Nội']);
  t.same(item.tags, ['địa lý']);
  const tagged = await author({ method: 'GET', url: `/api/items?tag=${encodeURIComponent('địa lý')}` });
  t.same(tagged.json().items.map((i: { id: string }) => i.id), [item.id], 'found by its NFC tag');
});

t.test('plain text skips the parser and comes out exactly as the parser would leave it', async (t) => {
  const samples = ['Hai', 'Phương trình bậc hai', '  spaced  out ', 'quote " and apostrophe \'', 'x^2 + 1 = 0', '\\(x\\)', 'tab\tand\nnewline'];
  const full = { allowedTags: ['p', 'b'], allowedAttributes: {} };
  for (const s of samples) t.equal(sanitizeRichText(s), sanitizeHtml(s, full), JSON.stringify(s));
});
