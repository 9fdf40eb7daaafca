import t from 'tap';
import seedrandom from 'seedrandom';
import { csvRow, guardCell, unguardCell } from '../../src/text/export-cells.js';

t.test('pieces that would start a formula get an apostrophe, after any separator', async (t) => {
  t.equal(guardCell('Trần Văn An;=1+1;'), "Trần Văn An;'=1+1;");
  t.equal(guardCell('x\t=HYPERLINK("u")'), 'x\t\'=HYPERLINK("u")');
  t.equal(guardCell('=a,+b\n-c\r@d'), "'=a,'+b\n'-c\r'@d");
  t.equal(guardCell('a\t\t=b'), "a\t'\t'=b", 'a tab is both a separator and a formula start');
  t.equal(guardCell('y;"=2+2"'), 'y;\'"=2+2"', 'a quoted piece cannot hide one');
  t.equal(guardCell("'=x"), "''=x", 'apostrophes already there are kept apart from the guard');
  t.equal(guardCell('a, -1 ; b'), 'a, -1 ; b', 'a space in between starts no formula');
  t.equal(guardCell('-3'), '-3', 'a plain number stays a number');
  t.equal(guardCell('-0,25'), '-0,25');
  t.equal(guardCell('-3', false), "'-3", 'unless numbers are not kept');
  t.equal(guardCell('-1+1'), "'-1+1", 'a sum is no plain number');
});

t.test('unguardCell undoes guardCell for any text', async (t) => {
  const rng = seedrandom('export-cells');
  const alphabet = ["'", '=', '+', '-', '@', '\t', '\r', '\n', ',', ';', '"', 'a', '1', ' ', 'ă'];
  for (let n = 0; n < 5000; n++) {
    const length = Math.floor(rng() * 10);
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(rng() * alphabet.length)];
    for (const keepNumbers of [true, false]) {
      const guarded = guardCell(text, keepNumbers);
      if (unguardCell(guarded) !== text) {
        t.fail(`round trip of ${JSON.stringify(text)} via ${JSON.stringify(guarded)}`);
        return;
      }
    }
  }
  t.pass('5000 random texts');
});

t.test('a CSV row: numbers stay numbers except where a row starts', async (t) => {
  t.equal(csvRow(['HS01', -1.5, 'An, "12A"', 0]), 'HS01,-1.5,"An, ""12A""",0');
  t.equal(csvRow([-2, -2, '-2']), "'-2,-2,-2");
});
