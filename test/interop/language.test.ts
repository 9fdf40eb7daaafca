import t from 'tap';
import { detectLanguage, itemTexts } from '../../src/interop/language.js';

/** The language of imported text when the request does not say (src/interop/language.ts). */

t.test('Vietnamese letters make Vietnamese, whatever else the text has', async (t) => {
  t.equal(detectLanguage('Thủ đô của Việt Nam là?'), 'vi');
  t.equal(detectLanguage('Tính x'), 'vi', 'one accented vowel is enough');
  t.equal(detectLanguage('Đ'), 'vi');
  t.equal(detectLanguage('<p>Chọn đáp án <b>đúng</b></p>'), 'vi');
  t.equal(detectLanguage('Choose the word that differs: ngữ, phrase, clause'), 'vi', 'a Vietnamese word in English text counts');
  t.equal(detectLanguage('Thu do cua Viet Nam la?'.normalize('NFD')), 'en', 'no diacritics at all: no evidence for Vietnamese');
  t.equal(detectLanguage('Thủ đô'.normalize('NFD')), 'vi', 'decomposed diacritics are read after NFC');
});

t.test('text with words and no Vietnamese letters is English; too little text is undecided', async (t) => {
  t.equal(detectLanguage('Which planet is the largest?'), 'en');
  t.equal(detectLanguage('<p>Look at the sign.</p>'), 'en');
  t.equal(detectLanguage('\\(x^2 + 2x = 0\\)'), undefined, 'a formula says nothing');
  t.equal(detectLanguage('42'), undefined);
  t.equal(detectLanguage('Solve \\(\\text{độ dài}\\)'), undefined, 'words inside a formula are not read');
  t.equal(detectLanguage('<img src="data:image/png;base64,ÁÁ" alt="" /> x'), undefined, 'markup is not read');
});

t.test('an item is read from its stem and every entry a candidate sees', async (t) => {
  const text = itemTexts({ type: 'single_choice', stem: '\\(1+1\\)', options: [{ id: 'A', text: 'hai' }, { id: 'B', text: 'ba' }] });
  t.equal(text, '\\(1+1\\)\nhai\nba');
  t.equal(detectLanguage(itemTexts({ stem: 'x', statements: [{ id: 'a', text: 'Hàm số đồng biến' }] })), 'vi');
});
