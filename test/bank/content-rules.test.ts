// What an author can no longer save by mistake: two options a candidate cannot tell
// apart, a formula closed before it is opened (or never closed), and a stem the size
// of a book. Each is refused through the API with a detail on the field.
import t from 'tap';
import { MAX_TEXT_CHARS, mathDelimiterProblem } from '../../src/bank/item-schemas.js';
import { build } from '../helper.js';
import { bankWorld, validItem } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await bankWorld(app);
const author = world.users.authorA;

type Detail = { instancePath: string; keyword: string; message: string; params?: Record<string, unknown> };
async function details(item: Record<string, unknown>): Promise<{ status: number; details: Detail[] }> {
  const res = await author({ method: 'POST', url: '/api/items', payload: item });
  return { status: res.statusCode, details: res.statusCode === 400 ? (res.json().error.details as Detail[]) : [] };
}

t.test('options, statements and elements a candidate cannot tell apart are refused', async (t) => {
  const single = { ...validItem('single_choice'), options: [{ id: 'A', text: '<p>Hà Nội</p>' }, { id: 'B', text: 'Huế' }, { id: 'C', text: '  <b>Hà</b>   Nội ' }], correct: ['A'] };
  const res = await details(single);
  t.equal(res.status, 400);
  t.match(res.details, [{ instancePath: '/options/2/text', keyword: 'duplicateText', params: { same: 1, id: 'A' } }], 'the repeat is named with the option it repeats');
  t.equal(res.details.length, 1, 'the first of the two is fine');

  const cased = { ...validItem('single_choice'), options: [{ id: 'A', text: 'nguyen van teo' }, { id: 'B', text: 'NGUYEN VAN TEO' }, { id: 'C', text: 'Nguyen Van Teo' }], correct: ['B'] };
  t.equal((await details(cased)).status, 201, 'letter case makes options different (a question about Upcase)');

  const ordering = validItem('ordering') as { elements: { id: string; text: string }[] };
  const twice = { ...ordering, elements: ordering.elements.map((e, i) => (i === 1 ? { ...e, text: ordering.elements[0]!.text } : e)) };
  t.match((await details(twice)).details, [{ instancePath: '/elements/1/text', keyword: 'duplicateText' }]);

  const pictures = { ...validItem('single_choice'), options: [{ id: 'A', text: '<img src="data:image/png;base64,iVBORw0KGgoA" alt="">' }, { id: 'B', text: '<img src="data:image/png;base64,iVBORw0KGgoB" alt="">' }], correct: ['A'] };
  const pics = await details(pictures);
  t.equal(pics.status, 201, `two different pictures are two options: ${JSON.stringify(pics.details)}`);
});

t.test('a formula closed before it is opened, or never closed, is refused', async (t) => {
  const closedFirst = await details({ ...validItem('single_choice'), stem: '<p>Tính \\)x^2\\( khi x = 2</p>' });
  t.match(closedFirst.details, [{ instancePath: '/stem', keyword: 'mathDelimiters', message: /closes a formula with \\\) before opening it/ }]);
  const open = await details({ ...validItem('single_choice'), options: [{ id: 'A', text: '\\(x + 1' }, { id: 'B', text: 'y' }], correct: ['A'] });
  t.match(open.details, [{ instancePath: '/options/0/text', keyword: 'mathDelimiters', message: /never closes it/ }]);
  const fine = await details({ ...validItem('single_choice'), stem: '<p>Cho \\(A = \\begin{pmatrix} 1 \\\\[2pt] 2 \\end{pmatrix}\\) và \\[x^2\\]</p>' });
  t.equal(fine.status, 201, 'balanced formulas, with a LaTeX line break inside, are fine');
  t.equal(mathDelimiterProblem('\\(a\\) \\[b\\] \\\\('), null, 'an escaped backslash is no delimiter');
  t.match(mathDelimiterProblem('\\(a \\(b\\)'), /inside another one/);
});

t.test('a stem longer than the text limit is refused with the limit; pictures do not count', async (t) => {
  const long = await details({ ...validItem('single_choice'), stem: `<p>${'Lorem ipsum '.repeat(32_000)}</p>` }); // 384 KB of text
  t.match(long.details, [{ instancePath: '/stem', keyword: 'maxLength', params: { limit: MAX_TEXT_CHARS.stem }, message: /at most 20000 characters of text/ }]);
  const option = await details({ ...validItem('single_choice'), options: [{ id: 'A', text: 'x'.repeat(MAX_TEXT_CHARS.part + 1) }, { id: 'B', text: 'y' }], correct: ['A'] });
  t.match(option.details, [{ instancePath: '/options/0/text', keyword: 'maxLength', params: { limit: MAX_TEXT_CHARS.part } }]);
  const justUnder = await details({ ...validItem('single_choice'), stem: `<p>${'a'.repeat(MAX_TEXT_CHARS.stem - 10)}</p>` });
  t.equal(justUnder.status, 201, 'a long stem under the limit is kept');
});
