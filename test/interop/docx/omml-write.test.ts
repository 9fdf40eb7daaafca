import t from 'tap';
import { ommlToLatex } from '../../../src/interop/docx/omml.js';
import { latexToOmml, mathmlToOmml } from '../../../src/interop/docx/omml-write.js';
import { parseXml } from '../../../src/interop/xml.js';

/**
 * LaTeX → (KaTeX) MathML → OMML, checked two ways: the OMML elements Word
 * needs for each construct, and the reader's OMML → LaTeX giving the same
 * formula back (so an exported paper imports again).
 */

const NS = 'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math" xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const back = (tex: string, display = false) => {
  const omml = latexToOmml(tex, display);
  return ommlToLatex(parseXml(omml.replace(/^<m:(oMath|oMathPara)>/, `<m:$1 ${NS}>`)));
};
const squash = (s: string) => s.replace(/\\left|\\right|\s+/g, '').replace(/[{}]/g, '');

const cases: [string, string, RegExp][] = [
  ['fraction', '\\frac{1}{x+1}', /<m:f><m:num>.*<\/m:num><m:den>.*<\/m:den><\/m:f>/],
  ['binomial (no bar)', '\\binom{n}{k}', /<m:type m:val="noBar"\/>/],
  ['superscript', 'x^{2}', /<m:sSup><m:e>.*x.*<\/m:e><m:sup>.*2.*<\/m:sup><\/m:sSup>/],
  ['subscript', 'u_{n+1}', /<m:sSub>/],
  ['sub and superscript', 'x_{1}^{2}', /<m:sSubSup>/],
  ['square root', '\\sqrt{x}', /<m:rad><m:radPr><m:degHide m:val="1"\/><\/m:radPr><m:deg\/>/],
  ['root with degree', '\\sqrt[3]{x}', /<m:rad><m:deg>.*3.*<\/m:deg><m:e>.*x.*<\/m:e><\/m:rad>/],
  ['sum with limits and operand', '\\sum_{k=1}^{n} k', /<m:nary><m:naryPr><m:chr m:val="∑"\/>.*<m:sub>.*<\/m:sub><m:sup>.*n.*<\/m:sup><m:e>.*k.*<\/m:e><\/m:nary>/],
  ['integral', '\\int_{0}^{1} x', /<m:nary><m:naryPr><m:chr m:val="∫"\/><m:limLoc m:val="subSup"\/>/],
  ['parentheses', '\\left( x+1 \\right)', /<m:d><m:dPr><m:begChr m:val="\("\/><m:endChr m:val="\)"\/><\/m:dPr>/],
  ['vector accent', '\\vec{v}', /<m:acc><m:accPr><m:chr m:val="\u20d7"\/>/],
  ['overline', '\\overline{AB}', /<m:bar><m:barPr><m:pos m:val="top"\/>/],
  ['system', '\\begin{cases} x+y=1 \\\\ x-y=3 \\end{cases}', /<m:d><m:dPr><m:begChr m:val="\{"\/><m:endChr m:val=""\/><\/m:dPr><m:e><m:m>/],
  ['upright function name', '\\sin x', /<m:sty m:val="p"\/><\/m:rPr><w:rPr>.*<m:t xml:space="preserve">sin<\/m:t>/],
  ['blackboard R', 'x \\in \\mathbb{R}', /ℝ/],
];

for (const [name, tex, shape] of cases) {
  t.test(name, async (t) => {
    const omml = latexToOmml(tex, false);
    t.match(omml, /^<m:oMath>.*<\/m:oMath>$/s, 'an inline equation');
    t.match(omml, shape, 'the OMML construct');
    t.notMatch(omml, /\u2061/, 'no invisible operators');
  });
}

t.test('the reader reads the written equations back as the same formula', async (t) => {
  const pairs: [string, string][] = [
    ['\\frac{1}{x+1}', '\\frac{1}{x+1}'],
    ['x^{2}+2x+1', 'x^{2}+2x+1'],
    ['\\sqrt[3]{x}', '\\sqrt[3]{x}'],
    ['\\sum_{k=1}^{n}k', '\\sum_{k=1}^{n}k'],
    ['\\int_{0}^{1}f(x)dx', '\\int_{0}^{1}f(x)dx'],
    ['\\left[ 0 ; 1 \\right]', '\\left[ 0 ; 1 \\right]'],
  ];
  for (const [tex, expected] of pairs) t.equal(squash(back(tex)), squash(expected), tex);
  t.match(back('\\vec{AB}'), /AB/, 'vector keeps its letters');
  t.match(back('y = \\sin x'), /\\sin/, 'sin comes back as \\sin');
});

t.test('display equations are OMML paragraphs', async (t) => {
  t.match(latexToOmml('E = mc^2', true), /^<m:oMathPara><m:oMath>.*<\/m:oMath><\/m:oMathPara>$/s);
});

t.test('TeX KaTeX cannot parse stays visible as text', async (t) => {
  const omml = latexToOmml('\\frac{1}{', false);
  t.match(omml, /<m:nor\/>/);
  t.match(omml, /\\frac\{1\}\{/);
});

t.test('MathML from elsewhere (a <math> root, entities) converts too', async (t) => {
  const omml = mathmlToOmml('<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>a</mi><mo>&lt;</mo><mn>2</mn></math>');
  t.match(omml, /<m:t xml:space="preserve">&lt;<\/m:t>/);
});
