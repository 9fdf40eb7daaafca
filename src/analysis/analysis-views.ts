/**
 * The analysis report as CSV (one row per item) and as a printable HTML page
 * for exam boards, in Vietnamese, with its charts drawn here as inline SVG:
 * the page needs nothing but itself, so it opens offline and prints as shown.
 */
import type { ItemType } from '../bank/item-types.js';
import { escapeHtml } from '../exams/printable.js';
import { csvRow } from '../text/export-cells.js';
import type { AnalysisReport, ReportItem } from './analysis-service.js';
import { DEFAULT_FLAG_THRESHOLDS } from './flags.js';
import type { FlagReason, ItemFlag, OptionAnalysis } from './types.js';

// ------------------------------------------------------------------- CSV

const CSV_HEADER = [
  'number',
  'item_id',
  'revision',
  'type',
  'topic',
  'cognitive_level',
  'max_points',
  'n',
  'mean',
  'p_value',
  'point_biserial',
  'discrimination',
  'omitted',
  'rasch_difficulty',
  'rasch_se',
  'rasch_infit',
  'rasch_outfit',
  'flags',
  'options',
];

/** A statistic for a CSV cell: 4 decimals, empty when undefined for the data. */
function cell(x: number | null | undefined): string | number {
  return x === null || x === undefined ? '' : Math.round(x * 10_000) / 10_000;
}

function flagCode(f: ItemFlag): string {
  return f.optionId === undefined ? f.reason : `${f.reason}(${f.optionId})`;
}

/** `A*: 12 (0.3; 0.41)`: count, share and point-biserial of each option; `*` marks the key. */
function optionsCell(options: Record<string, OptionAnalysis>): string {
  return Object.entries(options)
    .map(([id, o]) => `${id}${o.key ? '*' : ''}: ${o.count} (${cell(o.share)}; ${cell(o.pointBiserial)})`)
    .join(' | ');
}

/** UTF-8 with a BOM, so spreadsheet programs show Vietnamese correctly; one row per item. */
export function analysisCsv(report: AnalysisReport): string {
  const rows = report.items.map((i) =>
    csvRow([
      i.number,
      i.itemId,
      i.revision,
      i.type ?? '',
      i.topic ?? '',
      i.cognitiveLevel ?? '',
      i.maxPoints,
      i.n,
      cell(i.mean),
      cell(i.pValue),
      cell(i.pointBiserial),
      cell(i.discrimination),
      i.omitted,
      cell(i.rasch?.difficulty),
      cell(i.rasch?.se),
      cell(i.rasch?.infit),
      cell(i.rasch?.outfit),
      i.flags.map(flagCode).join(';'),
      optionsCell(i.options),
    ]),
  );
  return `\uFEFF${[CSV_HEADER.join(','), ...rows].join('\r\n')}\r\n`;
}

// ------------------------------------------------------------------ HTML

const TYPE_LABELS: Record<ItemType, string> = {
  single_choice: 'Trắc nghiệm một lựa chọn',
  multiple_choice: 'Trắc nghiệm nhiều lựa chọn',
  true_false: 'Đúng/Sai',
  true_false_cluster: 'Đúng/Sai nhiều ý',
  numeric: 'Trả lời ngắn (số)',
  short_text: 'Trả lời ngắn',
  matching: 'Ghép nối',
  ordering: 'Sắp xếp',
  cloze: 'Điền khuyết',
  essay: 'Tự luận',
};

const LEVEL_LABELS: Record<number, string> = { 1: 'Nhận biết', 2: 'Thông hiểu', 3: 'Vận dụng', 4: 'Vận dụng cao' };

function flagLabel(f: ItemFlag): string {
  const option = f.optionId === undefined ? '' : optionLabel(f.optionId);
  const labels: Record<FlagReason, string> = {
    too_hard: 'Quá khó',
    too_easy: 'Quá dễ',
    low_discrimination: 'Độ phân biệt thấp',
    distractor_positive_point_biserial: `Phương án nhiễu ${option} thu hút thí sinh giỏi`,
    possible_wrong_key: `Có thể sai đáp án: nhóm giỏi chọn ${option} nhiều hơn đáp án`,
  };
  return labels[f.reason];
}

/** Option ids as candidates saw them; true/false answers are the two options of a true_false item. */
function optionLabel(id: string): string {
  if (id === 'true') return 'Đúng';
  if (id === 'false') return 'Sai';
  return id;
}

/** Vietnamese decimals (comma), or a dash when the statistic is undefined for the data. */
function num(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x.toFixed(digits).replace('.', ',');
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${num(x * 100, 1)}%`;
}

const esc = (s: string | number) => escapeHtml(String(s));

/** Round steps for an axis from 0 to at least `max`. */
function ticks(max: number, count = 5): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(Math.round(v * 1e6) / 1e6);
  if (out[out.length - 1]! < max) out.push(out[out.length - 1]! + step);
  return out;
}

const COLORS = { bar: '#2f6db5', flagged: '#c0392b', ok: '#2f6db5', key: '#1e8449', grid: '#d5d8dc', axis: '#444', upper: '#7fb3d5', lower: '#f0b27a' };

/** Histogram of the ten-point scores (the report's bins). */
export function histogramSvg(report: Pick<AnalysisReport, 'distribution'>): string {
  const bins = report.distribution.bins;
  const W = 640;
  const H = 280;
  const m = { left: 52, right: 16, top: 16, bottom: 52 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const yTicks = ticks(Math.max(1, ...bins.map((b) => b.count)));
  const yMax = yTicks[yTicks.length - 1]!;
  const y = (v: number) => m.top + ph - (v / yMax) * ph;
  const bw = bins.length ? pw / bins.length : pw;
  const parts: string[] = [];
  for (const t of yTicks) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(t)}" y2="${y(t)}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end">${esc(t)}</text>`);
  }
  bins.forEach((b, i) => {
    const x = m.left + i * bw;
    const h = m.top + ph - y(b.count);
    const label = `${num(b.from, b.from % 1 ? 1 : 0)}–${num(b.to, b.to % 1 ? 1 : 0)}`;
    parts.push(
      `<rect class="bar" x="${x + 3}" y="${y(b.count)}" width="${Math.max(1, bw - 6)}" height="${h}" fill="${COLORS.bar}"><title>${esc(label)}: ${b.count} thí sinh (${pct(b.share)})</title></rect>`,
    );
    if (b.count > 0) parts.push(`<text x="${x + bw / 2}" y="${y(b.count) - 4}" text-anchor="middle">${b.count}</text>`);
    parts.push(`<text x="${x + bw / 2}" y="${H - m.bottom + 16}" text-anchor="middle">${esc(label)}</text>`);
  });
  parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="${COLORS.axis}"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">Điểm (thang điểm 10)</text>`);
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">Số thí sinh</text>`);
  return svg('histogram', W, H, 'Phổ điểm theo thang điểm 10', parts);
}

/** Each item at (difficulty p, discrimination D), flagged items in red, with the flag thresholds dashed. */
export function scatterSvg(report: Pick<AnalysisReport, 'items'>): string {
  const W = 640;
  const H = 420;
  const m = { left: 56, right: 16, top: 16, bottom: 52 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const points = report.items.filter((i) => i.pValue !== null && i.discrimination !== null);
  const yMin = Math.min(-0.2, ...points.map((i) => Math.floor(i.discrimination! * 10) / 10));
  const yMax = 1;
  const x = (p: number) => m.left + p * pw;
  const y = (d: number) => m.top + ((yMax - d) / (yMax - yMin)) * ph;
  const parts: string[] = [];
  for (let p = 0; p <= 1.0001; p += 0.2) {
    parts.push(`<line x1="${x(p)}" x2="${x(p)}" y1="${m.top}" y2="${m.top + ph}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${x(p)}" y="${m.top + ph + 16}" text-anchor="middle">${num(p, 1)}</text>`);
  }
  for (let d = Math.ceil(yMin * 5) / 5; d <= yMax + 1e-9; d += 0.2) {
    const v = Math.round(d * 10) / 10;
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 0 ? COLORS.axis : COLORS.grid}"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${num(v, 1)}</text>`);
  }
  const t = DEFAULT_FLAG_THRESHOLDS;
  const dash = `stroke="${COLORS.flagged}" stroke-dasharray="5 4" stroke-width="1.2"`;
  parts.push(`<line x1="${x(t.minPValue)}" x2="${x(t.minPValue)}" y1="${m.top}" y2="${m.top + ph}" ${dash}/>`);
  parts.push(`<line x1="${x(t.maxPValue)}" x2="${x(t.maxPValue)}" y1="${m.top}" y2="${m.top + ph}" ${dash}/>`);
  parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(t.minDiscrimination)}" y2="${y(t.minDiscrimination)}" ${dash}/>`);
  for (const i of points) {
    const flagged = i.flags.length > 0;
    const cx = x(i.pValue!);
    const cy = y(i.discrimination!);
    parts.push(
      `<circle class="point${flagged ? ' flagged' : ''}" cx="${cx}" cy="${cy}" r="5" fill="${flagged ? COLORS.flagged : COLORS.ok}" fill-opacity="0.8"><title>Câu ${i.number}: p = ${num(i.pValue)}, D = ${num(i.discrimination)}</title></circle>`,
    );
    parts.push(`<text x="${cx + 7}" y="${cy - 5}" class="small">${i.number}</text>`);
  }
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">Độ khó p (tỉ lệ điểm đạt được)</text>`);
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">Độ phân biệt D (nhóm cao − nhóm thấp)</text>`);
  return svg('scatter', W, H, 'Độ khó và độ phân biệt của từng câu', parts);
}

/** Share choosing each option: all candidates, the upper and the lower group; the key in green. */
export function optionsSvg(item: ReportItem): string {
  const options = Object.entries(item.options);
  const W = 640;
  const row = 3 * 12 + 14;
  const m = { left: 110, right: 60, top: 10, bottom: 34 };
  const H = m.top + m.bottom + options.length * row;
  const pw = W - m.left - m.right;
  const x = (share: number) => m.left + Math.min(1, share) * pw;
  const parts: string[] = [];
  for (let s = 0; s <= 1.0001; s += 0.25) {
    parts.push(`<line x1="${x(s)}" x2="${x(s)}" y1="${m.top}" y2="${H - m.bottom}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${x(s)}" y="${H - m.bottom + 14}" text-anchor="middle">${Math.round(s * 100)}%</text>`);
  }
  options.forEach(([id, o], k) => {
    const top = m.top + k * row;
    const label = `${optionLabel(id)}${o.key ? ' (đáp án)' : ''}`;
    parts.push(`<text x="${m.left - 8}" y="${top + 22}" text-anchor="end"${o.key ? ' font-weight="bold"' : ''}>${esc(label)}</text>`);
    const bars: [string, number | null, string][] = [
      ['Tất cả', o.share, o.key ? COLORS.key : COLORS.bar],
      ['Nhóm cao', o.upperShare, COLORS.upper],
      ['Nhóm thấp', o.lowerShare, COLORS.lower],
    ];
    bars.forEach(([name, share, color], b) => {
      const y = top + b * 12;
      const w = share === null ? 0 : x(share) - m.left;
      parts.push(`<rect class="bar" x="${m.left}" y="${y}" width="${Math.max(0, w)}" height="10" fill="${color}"><title>${esc(label)} – ${name}: ${pct(share)}</title></rect>`);
      parts.push(`<text x="${m.left + Math.max(0, w) + 4}" y="${y + 9}" class="small">${pct(share)}</text>`);
    });
  });
  const legend = [
    ['Tất cả thí sinh', COLORS.bar],
    ['Nhóm cao (27%)', COLORS.upper],
    ['Nhóm thấp (27%)', COLORS.lower],
  ];
  legend.forEach(([name, color], k) => {
    const lx = m.left + k * 170;
    parts.push(`<rect x="${lx}" y="${H - 14}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${H - 5}" class="small">${esc(name!)}</text>`);
  });
  return svg('options', W, H, `Phân bố lựa chọn các phương án của câu ${item.number}`, parts);
}

function svg(kind: string, W: number, H: number, title: string, parts: string[]): string {
  return (
    `<svg class="chart ${kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title>${parts.join('')}</svg>`
  );
}

const STYLE = `
*{box-sizing:border-box}
body{font-family:"Times New Roman",Times,serif;color:#111;margin:24px auto;max-width:900px;padding:0 16px;line-height:1.4}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #999}h3{font-size:15px;margin:18px 0 6px}
.meta{color:#444;margin:0 0 12px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #999;padding:3px 5px;text-align:right;vertical-align:top}
th{background:#eef1f4;text-align:center}td.l{text-align:left}tr.flagged td{background:#fdf1ef}
.summary td:first-child{text-align:left;width:55%}
svg.chart{display:block;max-width:100%;height:auto;margin:8px 0;font-family:Arial,Helvetica,sans-serif;font-size:11px}
svg .small{font-size:10px}
.flags{color:#a93226;margin:2px 0}
.note{color:#555;font-size:12px}
.item{break-inside:avoid;page-break-inside:avoid}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}.chart{break-inside:avoid}}
`;

/** The printable report: summary, the three charts, the item table and the flagged items' option charts. */
export function analysisHtml(report: AnalysisReport): string {
  const reliabilityName = 'kr20' in report.reliability ? 'Độ tin cậy KR-20' : 'Độ tin cậy (hệ số alpha của Cronbach)';
  const reliability = 'kr20' in report.reliability ? report.reliability.kr20 : report.reliability.alpha;
  const flagged = report.items.filter((i) => i.flags.length > 0);
  const computedAt = new Date(report.computedAt);
  const summary: [string, string][] = [
    ['Số thí sinh được phân tích', String(report.candidates)],
    ['Điểm trung bình (điểm bài)', num(report.mean)],
    ['Độ lệch chuẩn', num(report.sd)],
    ['Điểm trung bình (thang 10)', num(report.distribution.mean)],
    ['Độ lệch chuẩn (thang 10)', num(report.distribution.sd)],
    [reliabilityName, num(reliability, 3)],
    ['Sai số chuẩn của phép đo (SEM)', num(report.sem)],
    ['Số mã đề', String(report.forms.length)],
    ['Số câu hỏi', String(report.items.length)],
    ['Số câu cần xem xét', String(flagged.length)],
  ];
  if (report.excluded.pendingManual) summary.push(['Bài chưa chấm xong phần tự luận (không tính)', String(report.excluded.pendingManual)]);
  if (report.excluded.otherRevision) summary.push(['Bài chấm theo phiên bản câu hỏi cũ, cần chấm lại (không tính)', String(report.excluded.otherRevision)]);
  if (report.excluded.invalid) summary.push(['Bài có điểm không hợp lệ (không tính)', String(report.excluded.invalid)]);

  const itemRows = report.items
    .map((i) => {
      const type = i.type ? TYPE_LABELS[i.type] : '';
      const level = i.cognitiveLevel ? (LEVEL_LABELS[i.cognitiveLevel] ?? String(i.cognitiveLevel)) : '';
      return (
        `<tr${i.flags.length ? ' class="flagged"' : ''}>` +
        `<td>${i.number}</td><td class="l">${esc(i.excerpt)}<br><span class="note">${esc(type)} · ${esc(i.topic ?? '')} · ${esc(level)} · ${esc(i.itemId)} (phiên bản ${i.revision})</span></td>` +
        `<td>${i.n}</td><td>${num(i.pValue)}</td><td>${num(i.discrimination)}</td><td>${num(i.pointBiserial)}</td>` +
        `<td>${num(i.rasch?.difficulty)}</td><td>${num(i.rasch?.se)}</td>` +
        `<td class="l">${i.flags.map((f) => esc(flagLabel(f))).join('<br>')}</td></tr>`
      );
    })
    .join('');

  const flaggedSections = flagged
    .map((i) => {
      const chart = Object.keys(i.options).length ? optionsSvg(i) : '<p class="note">Câu hỏi không có phương án lựa chọn.</p>';
      return (
        `<section class="item"><h3>Câu ${i.number}: ${esc(i.excerpt)}</h3>` +
        `<p class="note">${esc(i.itemId)} (phiên bản ${i.revision}) · p = ${num(i.pValue)} · D = ${num(i.discrimination)} · r<sub>pb</sub> = ${num(i.pointBiserial)} · bỏ trống: ${i.omitted}</p>` +
        i.flags.map((f) => `<p class="flags">⚠ ${esc(flagLabel(f))}</p>`).join('') +
        chart +
        `</section>`
      );
    })
    .join('');

  const rasch = report.rasch;
  const raschNote = !rasch
    ? ''
    : rasch.calibrated
      ? `<p class="note">Mô hình Rasch (ước lượng hợp lý cực đại có điều kiện): ${rasch.items} câu được hiệu chỉnh, ${rasch.persons.calibrated} thí sinh, ${rasch.converged ? 'hội tụ' : 'chưa hội tụ'} sau ${rasch.iterations} vòng lặp. Độ khó tính theo logit, trung bình các câu bằng 0.</p>`
      : `<p class="note">Không hiệu chỉnh được mô hình Rasch${rasch.note ? `: ${esc(rasch.note)}` : ''}.</p>`;

  return `<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Báo cáo phân tích đề thi – ${esc(report.examTitle)}</title><style>${STYLE}</style></head>
<body>
<h1>Báo cáo phân tích đề thi</h1>
<p class="meta"><b>${esc(report.examTitle)}</b> · Môn: ${esc(report.subject)} · Lớp ${esc(report.grade)} · Lập lúc ${esc(formatTime(computedAt))} (giờ UTC)</p>
<h2>Tổng quan</h2>
<table class="summary">${summary.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>Phổ điểm</h2>
${histogramSvg(report)}
<h2>Độ khó – độ phân biệt</h2>
${scatterSvg(report)}
<p class="note">Đường nét đứt: ngưỡng xem xét (p &lt; ${num(DEFAULT_FLAG_THRESHOLDS.minPValue, 1)} quá khó, p &gt; ${num(DEFAULT_FLAG_THRESHOLDS.maxPValue, 1)} quá dễ, D &lt; ${num(DEFAULT_FLAG_THRESHOLDS.minDiscrimination, 1)} phân biệt kém). Điểm màu đỏ là câu cần xem xét.</p>
<h2>Thống kê từng câu</h2>
<table class="items"><thead><tr><th>Câu</th><th>Nội dung</th><th>Số bài</th><th>Độ khó p</th><th>Độ phân biệt D</th><th>r<sub>pb</sub></th><th>Rasch b</th><th>SE(b)</th><th>Cảnh báo</th></tr></thead>
<tbody>${itemRows}</tbody></table>
${raschNote}
<h2>Các câu cần xem xét</h2>
${flaggedSections || '<p>Không có câu nào cần xem xét.</p>'}
</body></html>
`;
}

function formatTime(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} ngày ${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}
