import t from 'tap';
import {
  foldCase,
  foldDiacritics,
  foldText,
  foldTonePlacement,
  foldWhitespace,
  searchKey,
  toNfc,
} from '../../src/text/fold.js';

const NFD_HA_NOI = 'Hà Nội'.normalize('NFD');

t.test('toNfc composes what macOS and some keyboards send decomposed', async (t) => {
  t.not(NFD_HA_NOI, 'Hà Nội', 'the fixture really is decomposed');
  t.equal(toNfc(NFD_HA_NOI), 'Hà Nội');
  // U+0341 is a deprecated tone mark that canonically becomes U+0301.
  t.equal(toNfc('a\u0341'), 'á');
});

t.test('foldWhitespace trims, collapses every kind of space and drops invisible characters', async (t) => {
  const table: [string, string][] = [
    ['  Hà   Nội  ', 'Hà Nội'],
    ['Hà\tNội\n', 'Hà Nội'],
    ['Hà\u00A0Nội', 'Hà Nội'], // NBSP from a web page
    ['Hà\u3000\u2003Nội', 'Hà Nội'],
    ['Hà\u200BNội', 'HàNội'], // zero-width space is not a space
    ['\uFEFFHà Nội', 'Hà Nội'],
    ['', ''],
    [' \t\n ', ''],
  ];
  for (const [input, expected] of table) t.equal(foldWhitespace(input), expected, JSON.stringify(input));
});

t.test('foldCase is locale-independent and folds Vietnamese capitals', async (t) => {
  t.equal(foldCase('HÀ NỘI'), 'hà nội');
  t.equal(foldCase('ĐẶNG'), 'đặng');
  t.equal(foldCase('Ư Ơ Ă Â Ê Ô'), 'ư ơ ă â ê ô');
  t.equal(foldCase('Straße'), foldCase('STRASSE'));
  t.equal(foldCase('ΣΟΦΟΣ'), foldCase('σοφος'));
  t.equal(foldCase(NFD_HA_NOI.toUpperCase()), 'hà nội', 'returns NFC even from NFD input');
});

t.test('foldDiacritics removes every Vietnamese mark and đ', async (t) => {
  const table: [string, string][] = [
    ['Đà Nẵng', 'Da Nang'],
    ['đường', 'duong'],
    ['Nguyễn Thị Minh Khai', 'Nguyen Thi Minh Khai'],
    ['ắằẳẵặ ấầẩẫậ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự ýỳỷỹỵ', 'aaaaa aaaaa eeeee ooooo ooooo uuuuu yyyyy'],
    ['ĂÂÊÔƠƯĐ', 'AAEOOUD'],
    [NFD_HA_NOI, 'Ha Noi'],
    ['ÐÀ NẴNG', 'DA NANG'], // U+00D0 look-alike of Đ
    ['café naïve', 'cafe naive'],
    ['x² + √2', 'x² + √2'], // not marks: untouched
  ];
  for (const [input, expected] of table) t.equal(foldDiacritics(input), expected, input);
});

t.test('foldTonePlacement makes old and new tone placement equal, and nothing else', async (t) => {
  const same: [string, string][] = [
    ['hoà', 'hòa'],
    ['Hoà Bình', 'Hòa Bình'],
    ['thuỷ', 'thủy'],
    ['khoẻ', 'khỏe'],
    ['quý', 'qúy'],
    ['hoạ sĩ', 'họa sĩ'],
    ['hoà'.normalize('NFD'), 'hòa'],
  ];
  for (const [a, b] of same) t.equal(foldTonePlacement(a), foldTonePlacement(b), `${a} ≡ ${b}`);
  const different: [string, string][] = [
    ['hoà', 'hoá'], // different tone
    ['hoà', 'hoa'], // tone missing
    ['mà', 'ma'],
    ['thuở', 'thuơ'],
    ['Hà Nội', 'Hà Nôi'],
    ['hoà bình', 'hoà bính'],
  ];
  for (const [a, b] of different) t.not(foldTonePlacement(a), foldTonePlacement(b), `${a} ≠ ${b}`);
  t.equal(foldTonePlacement('Hà Nội 2025!'), foldTonePlacement('Hà Nội 2025!'), 'idempotent on the same text');
  t.equal(foldTonePlacement('ASCII only, 1 + 2'), 'ASCII only, 1 + 2', 'text without tones is unchanged');
  t.equal(foldTonePlacement(foldTonePlacement('thuỷ')), foldTonePlacement('thuỷ'), 'idempotent');
});

t.test('foldText applies the short_text rules with the item flags', async (t) => {
  t.equal(foldText('  hà   NỘI '), foldText('Hà Nội'), 'case and whitespace by default');
  t.equal(foldText(NFD_HA_NOI), foldText('Hà Nội'), 'NFD equals NFC');
  t.not(foldText('Ha Noi'), foldText('Hà Nội'), 'diacritics kept by default');
  t.equal(foldText('Ha Noi', { ignoreDiacritics: true }), foldText('Hà Nội', { ignoreDiacritics: true }));
  t.not(foldText('hà nội', { caseSensitive: true }), foldText('Hà Nội', { caseSensitive: true }));
  t.equal(foldText(' Hà  Nội', { caseSensitive: true }), foldText('Hà Nội', { caseSensitive: true }));
  t.equal(foldText('Hoà Bình'), foldText('hòa bình'), 'tone placement folded by default');
  t.equal(foldText('Hoà Bình', { caseSensitive: true }), foldText('Hòa Bình', { caseSensitive: true }));
  t.equal(foldText('DUONG', { ignoreDiacritics: true }), foldText('đường', { ignoreDiacritics: true }));
  t.equal(foldText('DUONG', { ignoreDiacritics: true, caseSensitive: true }), 'DUONG');
  t.not(foldText('DUONG', { ignoreDiacritics: true, caseSensitive: true }), foldText('đường', { ignoreDiacritics: true, caseSensitive: true }));
});

t.test('searchKey folds everything for bank search', async (t) => {
  t.equal(searchKey('  HÀ   NỘI '), 'ha noi');
  t.equal(searchKey('Đạo hàm của hàm số'), 'dao ham cua ham so');
  t.equal(searchKey(NFD_HA_NOI), 'ha noi');
});
