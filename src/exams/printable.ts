/**
 * The printable paper form ("đề thi giấy"): one self-contained HTML page per
 * form code, maths rendered on the server with KaTeX, no key. Schools that
 * still sit paper exams print it from the same bank and the same forms.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import katex from 'katex';
import sanitizeHtml from 'sanitize-html';
import type { ItemRevision } from '../bank/item-types.js';
import type { Blueprint } from '../assembly/blueprint-model.js';
import type { Exam, Form } from './exam-model.js';
import { pinKey } from './exam-service.js';
import { letter, ordered } from './form-views.js';

/** Folder of KaTeX's CSS and fonts, served under /static/katex/. */
export const KATEX_DIST = path.dirname(createRequire(import.meta.url).resolve('katex'));
export const KATEX_CSS_URL = '/static/katex/katex.min.css';

/** The safe HTML subset of items (docs/item-types.md); the bank enforces it on write, this page enforces it again on output. */
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'b', 'i', 'u', 'sub', 'sup', 'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'td', 'th', 'img', 'code', 'ruby', 'rb', 'rt', 'rp'],
  allowedAttributes: { img: ['src', 'alt', 'width', 'height'], td: ['colspan', 'rowspan'], th: ['colspan', 'rowspan'] },
  allowedSchemes: ['data'],
  allowedSchemesByTag: { img: ['data'] },
  allowProtocolRelative: false,
};

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'", '#x27': "'" };

/** TeX comes out of sanitised HTML with `<`, `>` and `&` escaped; KaTeX wants them back. */
function decodeEntities(s: string): string {
  return s.replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, name: string) => {
    const known = ENTITIES[name.toLowerCase()];
    if (known !== undefined) return known;
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return m;
  });
}

const MATH = /\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;

/** Sanitises rich text and renders `\( … \)` inline and `\[ … \]` display maths with KaTeX. */
export function renderRichText(html: string): string {
  const safe = sanitizeHtml(html, SANITIZE);
  return safe.replace(MATH, (_m, inline: string | undefined, display: string | undefined) =>
    katex.renderToString(decodeEntities(inline ?? display ?? ''), { displayMode: display !== undefined, throwOnError: false, output: 'htmlAndMathml', strict: 'ignore' }),
  );
}

export interface PrintableInput {
  exam: Pick<Exam, 'title' | 'subject' | 'grade' | 'durationMinutes'>;
  form: Form;
  revisions: Map<string, ItemRevision>;
  blueprint: Pick<Blueprint, 'sections'> | null;
  /** Shared passages by stimulus id, printed once before their first item. */
  stimuli?: Map<string, { title?: string; content: string }>;
}

function itemBody(item: ItemRevision, pin: Form['items'][number]): string {
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice': {
      const options = ordered(item.options, pin.optionOrder)
        .map((o, i) => `<li><span class="label">${letter(i)}.</span> ${renderRichText(o.text)}</li>`)
        .join('');
      const hint = item.type === 'multiple_choice' ? '<p class="hint">(Chọn tất cả các phương án đúng.)</p>' : '';
      return `${hint}<ol class="options">${options}</ol>`;
    }
    case 'true_false':
      return '<p class="tf">&#9744; Đúng &nbsp;&nbsp; &#9744; Sai</p>';
    case 'true_false_cluster': {
      const rows = item.statements
        .map((s, i) => `<tr><td class="label">${letter(i).toLowerCase()})</td><td>${renderRichText(s.text)}</td><td class="box">&#9744; Đúng</td><td class="box">&#9744; Sai</td></tr>`)
        .join('');
      return `<table class="statements">${rows}</table>`;
    }
    case 'numeric':
      return '<p class="answer">Đáp số: <span class="line"></span></p>';
    case 'short_text':
      return '<p class="answer">Trả lời: <span class="line"></span></p>';
    case 'matching': {
      const premises = item.premises.map((p, i) => `<li><span class="label">${i + 1}.</span> ${renderRichText(p.text)}</li>`).join('');
      const choices = ordered(item.choices, pin.choiceOrder)
        .map((c, i) => `<li><span class="label">${letter(i)}.</span> ${renderRichText(c.text)}</li>`)
        .join('');
      return `<div class="matching"><ol class="premises">${premises}</ol><ol class="choices">${choices}</ol></div><p class="answer">Ghép: <span class="line"></span></p>`;
    }
    case 'ordering': {
      const elements = ordered(item.elements, pin.elementOrder)
        .map((e, i) => `<li><span class="label">${letter(i)}.</span> ${renderRichText(e.text)}</li>`)
        .join('');
      return `<ol class="options">${elements}</ol><p class="answer">Thứ tự đúng: <span class="line"></span></p>`;
    }
    case 'cloze': {
      const numbers = new Map(item.blanks.map((b, i) => [b.id, i + 1]));
      const choices = new Map(item.blanks.flatMap((b) => ('options' in b ? [[b.id, ` (${b.options.map((o) => renderRichText(o.text)).join(' / ')})`] as const] : [])));
      const text = renderRichText(item.text).replace(
        /\{\{\s*([A-Za-z0-9_-]+)\s*\}\}/g,
        (_m, id: string) => `<span class="blank">(${numbers.get(id) ?? '?'}) <span class="line"></span>${choices.get(id) ?? ''}</span>`,
      );
      return `<p class="cloze">${text}</p>`;
    }
    case 'essay': {
      const limit = typeof item.maxWords === 'number' ? `<p class="hint">(Không quá ${item.maxWords} từ.)</p>` : '';
      return `${limit}<div class="essay">${'<div class="rule"></div>'.repeat(8)}</div>`;
    }
  }
}

const STYLE = `
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Times New Roman", Times, serif; font-size: 12.5pt; line-height: 1.4; color: #000; max-width: 190mm; margin: 0 auto; }
header { display: grid; grid-template-columns: 1fr auto; gap: 4px 24px; border-bottom: 1px solid #000; padding-bottom: 8px; margin-bottom: 12px; }
header h1 { font-size: 15pt; margin: 0; grid-column: 1; }
header .code { grid-column: 2; grid-row: 1 / span 2; align-self: center; border: 1.5px solid #000; padding: 6px 12px; font-weight: bold; font-size: 13pt; }
header .meta { grid-column: 1; }
header .candidate { grid-column: 1 / span 2; margin-top: 6px; }
h2 { font-size: 13pt; margin: 14px 0 6px; }
.question { break-inside: avoid; margin: 8px 0 10px; }
.question .number { font-weight: bold; }
.stimulus { border-left: 3px solid #555; padding: 4px 10px; margin: 10px 0; break-inside: avoid; }
ol.options, ol.premises, ol.choices { list-style: none; padding: 0; margin: 4px 0 0 18px; display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 2px 18px; }
.matching { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.matching ol { grid-template-columns: 1fr; }
.label { font-weight: bold; }
table.statements { border-collapse: collapse; margin: 4px 0 0 18px; }
table.statements td { padding: 2px 8px; vertical-align: top; }
.box { white-space: nowrap; }
.line { display: inline-block; min-width: 45mm; border-bottom: 1px dotted #000; }
.essay .rule { border-bottom: 1px dotted #000; height: 8mm; }
.hint { font-style: italic; margin: 2px 0; }
footer { margin-top: 18px; text-align: center; font-style: italic; }
p { margin: 2px 0; }
`;

/** The whole printable page for one form: header, numbered questions, no key. */
export function printableForm(input: PrintableInput): string {
  const { exam, form, revisions, blueprint } = input;
  const parts: string[] = [];
  let section = -1;
  let stimulus: string | undefined;
  form.items.forEach((pin, i) => {
    const item = revisions.get(pinKey(pin.itemId, pin.revision));
    if (!item) throw new Error(`Pinned revision ${pin.itemId}@${pin.revision} is missing from the bank`);
    if (pin.section !== section) {
      section = pin.section;
      stimulus = undefined;
      const title = blueprint?.sections[section]?.title;
      if (title) parts.push(`<h2>${escapeHtml(title)}</h2>`);
    }
    if (item.stimulusId && item.stimulusId !== stimulus) {
      let last = i;
      while (last + 1 < form.items.length && revisions.get(pinKey(form.items[last + 1]!.itemId, form.items[last + 1]!.revision))?.stimulusId === item.stimulusId) last++;
      const passage = input.stimuli?.get(item.stimulusId);
      const intro = last > i ? `Dựa vào ngữ liệu sau, trả lời các câu từ ${i + 1} đến ${last + 1}.` : `Dựa vào ngữ liệu sau, trả lời câu ${i + 1}.`;
      parts.push(
        `<div class="stimulus"><p class="hint">${intro}</p>${passage?.title ? `<p><b>${escapeHtml(passage.title)}</b></p>` : ''}${passage ? renderRichText(passage.content) : ''}</div>`,
      );
    }
    stimulus = item.stimulusId;
    parts.push(`<div class="question"><span class="number">Câu ${i + 1}.</span> ${renderRichText(item.stem)}${itemBody(item, pin)}</div>`);
  });
  const title = escapeHtml(exam.title);
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – Mã đề ${escapeHtml(form.code)}</title>
<link rel="stylesheet" href="${KATEX_CSS_URL}">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<div class="code">Mã đề ${escapeHtml(form.code)}</div>
<div class="meta">Môn: ${escapeHtml(exam.subject)} – Lớp ${exam.grade} · Thời gian làm bài: ${exam.durationMinutes} phút · ${form.itemCount} câu</div>
<div class="candidate">Họ và tên thí sinh: <span class="line" style="min-width:80mm"></span> Số báo danh: <span class="line"></span></div>
</header>
<main>
${parts.join('\n')}
</main>
<footer>— HẾT —</footer>
</body>
</html>
`;
}
