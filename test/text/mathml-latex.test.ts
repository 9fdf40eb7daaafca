import t from 'tap';
import { mathmlToLatex } from '../../src/interop/mathml-latex.js';

/** MathML as MathType, QTI and Moodle write it, to the LaTeX KaTeX draws. */

const cases: [string, string, string][] = [
  ['fraction', '<math><mfrac><mn>1</mn><mn>2</mn></mfrac></math>', '\\frac{1}{2}'],
  ['square and cube roots', '<math><msqrt><mi>x</mi></msqrt><mo>+</mo><mroot><mi>x</mi><mn>3</mn></mroot></math>', '\\sqrt{x}+\\sqrt[3]{x}'],
  ['sum with limits', '<math><munderover><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></munderover><msup><mi>i</mi><mn>2</mn></msup></math>', '\\sum_{i=1}^{n}i^{2}'],
  ['integral with limits', '<math><msubsup><mo>∫</mo><mn>0</mn><mn>1</mn></msubsup><mi>f</mi><mo>(</mo><mi>x</mi><mo>)</mo><mi>d</mi><mi>x</mi></math>', '\\int_{0}^{1}f(x)dx'],
  ['matrix in fences', '<math><mfenced><mtable><mtr><mtd><mn>1</mn></mtd><mtd><mn>2</mn></mtd></mtr><mtr><mtd><mn>3</mn></mtd><mtd><mn>4</mn></mtd></mtr></mtable></mfenced></math>', '\\left( \\begin{matrix}1 & 2 \\\\ 3 & 4\\end{matrix} \\right)'],
  ['functions, relations, Greek and sets', '<math><mi>sin</mi><mo>&#x2061;</mo><mi>x</mi><mo>≤</mo><mn>1</mn><mo>,</mo><mi>α</mi><mo>∈</mo><mi>ℝ</mi></math>', '\\sin x\\le1,\\alpha\\in\\mathbb{R}'],
  ['vector and bar accents', '<math><mover><mrow><mi>A</mi><mi>B</mi></mrow><mo>→</mo></mover><mo>⋅</mo><mover accent="true"><mi>x</mi><mo>¯</mo></mover></math>', '\\overrightarrow{AB}\\cdot\\bar{x}'],
  ['limit', '<math><munder><mi>lim</mi><mrow><mi>x</mi><mo>→</mo><mo>+</mo><mi>∞</mi></mrow></munder><mfrac><mn>1</mn><mi>x</mi></mfrac></math>', '\\lim_{x\\to+\\infty}\\frac{1}{x}'],
  ['system of equations', '<math><mrow><mo>{</mo><mtable><mtr><mtd><mi>x</mi><mo>=</mo><mn>1</mn></mtd></mtr><mtr><mtd><mi>y</mi><mo>=</mo><mn>2</mn></mtd></mtr></mtable></mrow></math>', '\\begin{cases}x=1 \\\\ y=2\\end{cases}'],
  ['text', '<math><mtext>khi </mtext><mi>x</mi><mo>&lt;</mo><mn>0</mn></math>', '\\text{khi }x<0'],
  ['decimal comma, namespace prefix', '<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML"><mml:mn>1,5</mml:mn></mml:math>', '1{,}5'],
  ['TeX annotation wins', '<math><semantics><mi>x</mi><annotation encoding="application/x-tex">x^{2}</annotation></semantics></math>', 'x^{2}'],
  ['subscript, pre-scripts', '<math><msub><mi>u</mi><mi>n</mi></msub><mo>+</mo><mmultiscripts><mi>C</mi><mprescripts/><mn>6</mn><mn>14</mn></mmultiscripts></math>', 'u_{n}+{}_{6}^{14}C'],
  ['reserved characters', '<math><mi>%</mi><mo>#</mo><mi>_</mi></math>', '\\%\\#\\_'],
  ['double-struck variant and upright names', '<math><mi mathvariant="double-struck">N</mi><mo>,</mo><mi>tg</mi><mi>x</mi><mo>,</mo><mi>AB</mi></math>', '\\mathbb{N},\\operatorname{tg}x,\\mathrm{AB}'],
  ['E = mc² as QTI writes it', '<math><mi>E</mi><mo>=</mo><mi>m</mi><msup><mi>c</mi><mn>2</mn></msup></math>', 'E=mc^{2}'],
  ['named entities without a DTD', '<math><mn>2</mn><mo>&InvisibleTimes;</mo><mi>&pi;</mi><mi>r</mi><mo>&minus;</mo><mn>3</mn><mo>&times;</mo><mi>&alpha;</mi><mo>&le;</mo><mi>&infin;</mi></math>', '2\\pi r-3\\times\\alpha\\le\\infty'],
  ['sub-superscript, hat accent, underbrace', '<math><msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup><mo>+</mo><mover><mi>y</mi><mo>^</mo></mover><mo>+</mo><munder><mrow><mi>a</mi><mo>+</mo><mi>b</mi></mrow><mo>&#x23DF;</mo></munder></math>', 'x_{i}^{2}+\\hat{y}+\\underbrace{a+b}'],
  ['fenced list with separators, mspace', '<math><mfenced open="[" close="]"><mn>1</mn><mn>2</mn></mfenced><mspace width="1em"/><mi>x</mi></math>', '\\left[ 1 , 2 \\right]\\ x'],
];

for (const [name, mathml, latex] of cases) {
  t.equal(mathmlToLatex(mathml), latex, name);
}

t.test('input that is not MathML is refused with a message', async (t) => {
  t.throws(() => mathmlToLatex('<math><mi>x</math>'), /not well-formed/);
  t.throws(() => mathmlToLatex('<p>x</p>'), /no <math>/);
  t.throws(() => mathmlToLatex('<!DOCTYPE math [<!ENTITY x "y">]><math>&x;</math>'), /DOCTYPE/);
});
