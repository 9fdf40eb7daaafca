import t from 'tap';
import { ommlToLatex } from '../../../src/interop/docx/omml.js';
import { parseXml } from '../../../src/interop/xml.js';

/**
 * Word equations (OMML) to LaTeX, construct by construct: each input is the
 * XML Word writes for that construct of its equation editor.
 */

const NS = 'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"';
const r = (text: string, pr = '') => `<m:r>${pr ? `<m:rPr>${pr}</m:rPr>` : ''}<m:t>${text}</m:t></m:r>`;
const e = (inner: string) => `<m:e>${inner}</m:e>`;
const latex = (inner: string) => ommlToLatex(parseXml(`<m:oMath ${NS}>${inner}</m:oMath>`));

const cases: [string, string, string][] = [
  ['fraction', `<m:f><m:num>${r('1')}</m:num><m:den>${r('x+1')}</m:den></m:f>`, '\\frac{1}{x+1}'],
  ['linear fraction', `<m:f><m:fPr><m:type m:val="lin"/></m:fPr><m:num>${r('a')}</m:num><m:den>${r('b')}</m:den></m:f>`, 'a/b'],
  ['fraction without bar', `<m:f><m:fPr><m:type m:val="noBar"/></m:fPr><m:num>${r('n')}</m:num><m:den>${r('k')}</m:den></m:f>`, '{n \\atop k}'],
  ['subscript', `<m:sSub>${e(r('u'))}<m:sub>${r('n+1')}</m:sub></m:sSub>`, 'u_{n+1}'],
  ['superscript of a group', `<m:sSup>${e(r('(x+1)'))}<m:sup>${r('2')}</m:sup></m:sSup>`, '{(x+1)}^{2}'],
  ['sub and superscript', `<m:sSubSup>${e(r('x'))}<m:sub>${r('1')}</m:sub><m:sup>${r('2')}</m:sup></m:sSubSup>`, 'x_{1}^{2}'],
  ['pre-scripts (nuclide)', `<m:sPre><m:sub>${r('6')}</m:sub><m:sup>${r('14')}</m:sup>${e(r('C'))}</m:sPre>`, '{}_{6}^{14}C'],
  ['square root', `<m:rad><m:radPr><m:degHide m:val="1"/></m:radPr><m:deg/>${e(r('x'))}</m:rad>`, '\\sqrt{x}'],
  ['root with degree', `<m:rad><m:deg>${r('3')}</m:deg>${e(r('x'))}</m:rad>`, '\\sqrt[3]{x}'],
  ['sum with limits', `<m:nary><m:naryPr><m:chr m:val="∑"/><m:limLoc m:val="undOvr"/></m:naryPr><m:sub>${r('k=1')}</m:sub><m:sup>${r('n')}</m:sup>${e(r('k'))}</m:nary>`, '\\sum_{k=1}^{n}k'],
  ['integral (the default n-ary)', `<m:nary><m:sub>${r('0')}</m:sub><m:sup>${r('1')}</m:sup>${e(r('f(x)dx'))}</m:nary>`, '\\int_{0}^{1}f(x)dx'],
  ['integral with limits above and below', `<m:nary><m:naryPr><m:limLoc m:val="undOvr"/></m:naryPr><m:sub>${r('a')}</m:sub><m:sup>${r('b')}</m:sup>${e(r('x'))}</m:nary>`, '\\int\\limits_{a}^{b}x'],
  ['product without limits', `<m:nary><m:naryPr><m:chr m:val="∏"/><m:subHide m:val="1"/><m:supHide m:val="1"/></m:naryPr><m:sub/><m:sup/>${e(r('a'))}</m:nary>`, '\\prod a'],
  ['parentheses', `<m:d>${e(r('x+1'))}</m:d>`, '\\left( x+1 \\right)'],
  ['brackets and separators', `<m:d><m:dPr><m:begChr m:val="["/><m:endChr m:val="]"/><m:sepChr m:val=";"/></m:dPr>${e(r('0'))}${e(r('1'))}</m:d>`, '\\left[ 0 ; 1 \\right]'],
  ['absolute value', `<m:d><m:dPr><m:begChr m:val="|"/><m:endChr m:val="|"/></m:dPr>${e(r('x'))}</m:d>`, '\\left| x \\right|'],
  ['system (brace around an equation array)', `<m:d><m:dPr><m:begChr m:val="{"/><m:endChr m:val=""/></m:dPr>${e(`<m:eqArr>${e(r('x+y=1'))}${e(r('x−y=3'))}</m:eqArr>`)}</m:d>`, '\\begin{cases}x+y=1 \\\\ x-y=3\\end{cases}'],
  ['equation array with alignment', `<m:eqArr>${e(r('a&amp;=1'))}${e(r('b&amp;=2'))}</m:eqArr>`, '\\begin{aligned}a&=1 \\\\ b&=2\\end{aligned}'],
  ['matrix', `<m:d><m:dPr><m:begChr m:val="["/><m:endChr m:val="]"/></m:dPr>${e(`<m:m><m:mr>${e(r('1'))}${e(r('0'))}</m:mr><m:mr>${e(r('0'))}${e(r('1'))}</m:mr></m:m>`)}</m:d>`, '\\left[ \\begin{matrix}1 & 0 \\\\ 0 & 1\\end{matrix} \\right]'],
  ['sine', `<m:func><m:fName>${r('sin', '<m:sty m:val="p"/>')}</m:fName>${e(r('x'))}</m:func>`, '\\sin x'],
  ['logarithm with base', `<m:func><m:fName><m:sSub>${e(r('log', '<m:sty m:val="p"/>'))}<m:sub>${r('2')}</m:sub></m:sSub></m:fName>${e(r('x'))}</m:func>`, '\\log_{2}x'],
  ['Vietnamese tangent', `<m:func><m:fName>${r('tg')}</m:fName>${e(r('α'))}</m:func>`, '\\operatorname{tg}\\alpha'],
  ['limit', `<m:func><m:fName><m:limLow>${e(r('lim', '<m:sty m:val="p"/>'))}<m:lim>${r('x→+∞')}</m:lim></m:limLow></m:fName>${e(`<m:f><m:num>${r('1')}</m:num><m:den>${r('x')}</m:den></m:f>`)}</m:func>`, '\\lim_{x\\to+\\infty}\\frac{1}{x}'],
  ['text over an arrow (upper limit)', `<m:limUpp>${e(r('→'))}<m:lim>${r('t°')}</m:lim></m:limUpp>`, '\\overset{t^{\\circ}}{\\to}'],
  ['vector over two letters', `<m:acc><m:accPr><m:chr m:val="⃗"/></m:accPr>${e(r('AB'))}</m:acc>`, '\\overrightarrow{AB}'],
  ['vector over one letter', `<m:acc><m:accPr><m:chr m:val="⃗"/></m:accPr>${e(r('u'))}</m:acc>`, '\\vec{u}'],
  ['hat (the default accent)', `<m:acc>${e(r('A'))}</m:acc>`, '\\hat{A}'],
  ['overbar', `<m:bar><m:barPr><m:pos m:val="top"/></m:barPr>${e(r('z'))}</m:bar>`, '\\overline{z}'],
  ['underbar (the default)', `<m:bar>${e(r('z'))}</m:bar>`, '\\underline{z}'],
  ['underbrace (group character)', `<m:groupChr>${e(r('a+b'))}</m:groupChr>`, '\\underbrace{a+b}'],
  ['arrow group character above', `<m:groupChr><m:groupChrPr><m:chr m:val="→"/><m:pos m:val="top"/></m:groupChrPr>${e(r('xt'))}</m:groupChr>`, '\\overset{xt}{\\to}'],
  ['border box', `<m:borderBox>${e(r('x=2'))}</m:borderBox>`, '\\boxed{x=2}'],
  ['box', `<m:box>${e(r('x'))}</m:box>`, 'x'],
  ['normal text in an equation', `${r('x=1 ')}${r('khi', '<m:nor/>')}${r(' y=2')}`, 'x=1 \\text{khi} y=2'],
  ['Vietnamese words are text', `${r('với mọi ')}${r('x')}`, '\\text{với mọi }x'],
  ['Greek and operators', r('α≤β≠γ±δ×∞⇒∈∅'), '\\alpha\\le\\beta\\ne\\gamma\\pm\\delta\\times\\infty\\Rightarrow\\in\\varnothing'],
  ['decimal comma', r('x=1,5'), 'x=1{,}5'],
  ['double-struck script', r('R', '<m:scr m:val="double-struck"/>'), '\\mathbb{R}'],
  ['degree sign', r('90°'), '90^{\\circ}'],
];

for (const [name, inner, expected] of cases) t.equal(latex(inner), expected, name);

t.test('display equations: each oMath of an oMathPara on its own line', async (t) => {
  const para = parseXml(`<m:oMathPara ${NS}><m:oMath>${r('a=1')}</m:oMath><m:oMath>${r('b=2')}</m:oMath></m:oMathPara>`);
  t.equal(ommlToLatex(para), 'a=1 \\\\ b=2');
});

t.test('an element the converter does not know keeps its content', async (t) => {
  t.equal(latex(`<m:unknownThing>${r('x')}</m:unknownThing>`), 'x');
});
