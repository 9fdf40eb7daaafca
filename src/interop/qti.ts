import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ClozeBlank, ItemContent, ItemType, Labelled } from '../bank/item-types.js';
import { flagTags, formatNumber, metaTags, writeChunk, type ExportItem, type ExportStimulus, type FormatModule, type ItemSource } from './model.js';
import { choiceBlankQti } from './qti-choice-blank.js';
import { parse, stemTitle } from './qti-read.js';
import { escapeXml } from './xml.js';
import { ZipWriter } from './zip.js';

export { parse } from './qti-read.js';

/**
 * QTI 3.0 (1EdTech Question and Test Interoperability, ASI 3.0) out, and
 * QTI 3.0, 2.2 and 2.1 in (qti-read.ts says how each interaction is read).
 *
 * Exports write `MAXSCORE` (points), `xml:lang` (language), `shuffle` and
 * `fixed`, and the classification as LOM keywords in the manifest.
 */

export const QTI_TYPES: readonly ItemType[] = ['single_choice', 'multiple_choice', 'true_false', 'true_false_cluster', 'numeric', 'short_text', 'matching', 'ordering', 'cloze', 'essay'];

export const QTI_NS = 'http://www.imsglobal.org/xsd/imsqtiasi_v3p0';
const RP = 'https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/';
const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A QTI identifier for one of our ids (identifiers cannot start with a digit or '-'). */
export function qtiId(id: string): string {
  return NCNAME.test(id) ? id : `ID_${id}`;
}

// ------------------------------------------------------------------ write

/** Bank HTML as XML content: the sanitiser writes well-formed markup; stray ampersands are escaped. */
function xmlHtml(s: string): string {
  return s.replace(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/g, '&amp;');
}

const v = (s: string | number) => `<qti-value>${escapeXml(String(s))}</qti-value>`;

function responseDecl(id: string, cardinality: string, baseType: string, correct: (string | number)[], mapping = ''): string {
  const correctXml = correct.length ? `<qti-correct-response>${correct.map(v).join('')}</qti-correct-response>` : '';
  return `  <qti-response-declaration identifier="${id}" cardinality="${cardinality}" base-type="${baseType}">${correctXml}${mapping}</qti-response-declaration>\n`;
}

function outcomes(points: number): string {
  return (
    `  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"><qti-default-value>${v(0)}</qti-default-value></qti-outcome-declaration>\n` +
    `  <qti-outcome-declaration identifier="MAXSCORE" cardinality="single" base-type="float"><qti-default-value>${v(points)}</qti-default-value></qti-outcome-declaration>\n`
  );
}

function template(name: 'match_correct' | 'map_response'): string {
  return `  <qti-response-processing template="${RP}${name}.xml"/>\n`;
}

function stringMapping(accepted: string[], caseSensitive: boolean, points: number): string {
  return `<qti-mapping default-value="0" upper-bound="${points}">${accepted.map((a) => `<qti-map-entry map-key="${escapeXml(a)}" mapped-value="${points}" case-sensitive="${caseSensitive}"/>`).join('')}</qti-mapping>`;
}

function numericCheck(responseId: string, tol: number, points: number): string {
  return (
    `    <qti-response-condition><qti-response-if>` +
    `<qti-equal tolerance-mode="absolute" tolerance="${formatNumber(tol)} ${formatNumber(tol)}"><qti-variable identifier="${responseId}"/><qti-correct identifier="${responseId}"/></qti-equal>` +
    `<qti-set-outcome-value identifier="SCORE"><qti-sum><qti-variable identifier="SCORE"/><qti-base-value base-type="float">${points}</qti-base-value></qti-sum></qti-set-outcome-value>` +
    `</qti-response-if></qti-response-condition>\n`
  );
}

function textEntry(responseId: string, blank: ClozeBlank): { decl: string; check: string } {
  if ('value' in blank) {
    return { decl: responseDecl(responseId, 'single', 'float', [formatNumber(blank.value)]), check: numericCheck(responseId, blank.tolerance ?? 0, 1) };
  }
  const cs = blank.caseSensitive === true;
  return {
    decl: responseDecl(responseId, 'single', 'string', [blank.accepted[0]!], stringMapping(blank.accepted, cs, 1)),
    check: `    <qti-response-condition><qti-response-if><qti-not><qti-is-null><qti-variable identifier="${responseId}"/></qti-is-null></qti-not><qti-set-outcome-value identifier="SCORE"><qti-sum><qti-variable identifier="SCORE"/><qti-map-response identifier="${responseId}"/></qti-sum></qti-set-outcome-value></qti-response-if></qti-response-condition>\n`,
  };
}

/** Adds `value` to the FEEDBACK outcome (cardinality multiple: several feedbacks can show at once). */
const showFeedback = (value: string) =>
  `<qti-set-outcome-value identifier="FEEDBACK"><qti-multiple><qti-variable identifier="FEEDBACK"/><qti-base-value base-type="identifier">${value}</qti-base-value></qti-multiple></qti-set-outcome-value>`;

/** The rules of a response processing template, written out so that feedback rules can follow them. */
function inlineTemplate(name: 'match_correct' | 'map_response'): string {
  const zero = '<qti-set-outcome-value identifier="SCORE"><qti-base-value base-type="float">0</qti-base-value></qti-set-outcome-value>';
  if (name === 'match_correct') {
    return `    <qti-response-condition><qti-response-if><qti-match><qti-variable identifier="RESPONSE"/><qti-correct identifier="RESPONSE"/></qti-match><qti-set-outcome-value identifier="SCORE"><qti-variable identifier="MAXSCORE"/></qti-set-outcome-value></qti-response-if><qti-response-else>${zero}</qti-response-else></qti-response-condition>\n`;
  }
  return `    <qti-response-condition><qti-response-if><qti-is-null><qti-variable identifier="RESPONSE"/></qti-is-null>${zero}</qti-response-if><qti-response-else><qti-set-outcome-value identifier="SCORE"><qti-map-response identifier="RESPONSE"/></qti-set-outcome-value></qti-response-else></qti-response-condition>\n`;
}

/**
 * The item's feedback as QTI: modal feedback shown by the FEEDBACK outcome,
 * which rules after the scoring set — `general` always, then `correct` when
 * SCORE is not below `full`, `partial` when 0 is below it, `incorrect` otherwise
 * — and option feedback by FEEDBACK_OPTION, which holds the choices picked.
 */
function feedbackXml(item: ItemContent, full: string): { decls: string; rules: string; modal: string } {
  const fb = item.feedback ?? {};
  const options = item.type === 'single_choice' || item.type === 'multiple_choice' ? item.options.filter((o) => o.feedback) : [];
  const slots = (['general', 'correct', 'partial', 'incorrect'] as const).filter((k) => fb[k]);
  if (slots.length === 0 && options.length === 0) return { decls: '', rules: '', modal: '' };
  let decls = '';
  let rules = '';
  if (slots.length) {
    decls += '  <qti-outcome-declaration identifier="FEEDBACK" cardinality="multiple" base-type="identifier"/>\n';
    if (fb.general) rules += `    ${showFeedback('general')}\n`;
    if (fb.correct || fb.partial || fb.incorrect) {
      rules +=
        `    <qti-response-condition><qti-response-if><qti-not><qti-lt><qti-variable identifier="SCORE"/>${full}</qti-lt></qti-not>${fb.correct ? showFeedback('correct') : ''}</qti-response-if>` +
        `<qti-response-else-if><qti-lt><qti-base-value base-type="float">0</qti-base-value><qti-variable identifier="SCORE"/></qti-lt>${fb.partial ? showFeedback('partial') : ''}</qti-response-else-if>` +
        `<qti-response-else>${fb.incorrect ? showFeedback('incorrect') : ''}</qti-response-else></qti-response-condition>\n`;
    }
  }
  if (options.length) {
    decls += `  <qti-outcome-declaration identifier="FEEDBACK_OPTION" cardinality="${item.type === 'multiple_choice' ? 'multiple' : 'single'}" base-type="identifier"/>\n`;
    rules += '    <qti-set-outcome-value identifier="FEEDBACK_OPTION"><qti-variable identifier="RESPONSE"/></qti-set-outcome-value>\n';
  }
  const modal = (outcome: string, id: string, text: string) =>
    `  <qti-modal-feedback outcome-identifier="${outcome}" show-hide="show" identifier="${id}"><qti-content-body>${xmlHtml(text)}</qti-content-body></qti-modal-feedback>\n`;
  return {
    decls,
    rules,
    modal: slots.map((k) => modal('FEEDBACK', k, fb[k]!)).join('') + options.map((o) => modal('FEEDBACK_OPTION', qtiId(o.id), o.feedback!)).join(''),
  };
}

/** The library's address of a file (GET /api/media/:id), which a package swaps for its copy under media/. */
const AUDIO_URL = '/api/media/';

/** An item's recording (`audio`, docs/item-types.md), when it has one. */
function audioOf(item: unknown): { media: string; maxPlays?: number } | undefined {
  const audio = (item as { audio?: { media?: unknown; maxPlays?: unknown } }).audio;
  if (typeof audio?.media !== 'string' || !/^[0-9a-f]{64}$/.test(audio.media)) return undefined;
  return { media: audio.media, ...(typeof audio.maxPlays === 'number' ? { maxPlays: audio.maxPlays } : {}) };
}

const stemDiv = (stem: string) => `    <div class="exam-stem">${xmlHtml(stem)}</div>\n`;
const choice = (tag: string, c: Labelled & { fixed?: boolean }, extra = '') => `      <${tag} identifier="${qtiId(c.id)}"${c.fixed ? ' fixed="true"' : ''}${extra}>${xmlHtml(c.text)}</${tag}>\n`;
const shuffleAttr = (item: ItemContent) => `shuffle="${item.shuffleOptions === false ? 'false' : 'true'}"`;

/** One `qti-assessment-item` document. */
export function serializeItem(item: ExportItem | ItemContent, stimulusRef = ''): string {
  const points = item.points ?? 1;
  const lang = item.language ?? 'vi';
  let decls = '';
  let bodyXml = '';
  let processing = template('match_correct');
  /** What SCORE reaches when the response is fully right. */
  let full = '<qti-variable identifier="MAXSCORE"/>';
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice': {
      const multiple = item.type === 'multiple_choice';
      const partial = multiple && item.scoring === 'partial';
      const share = points / item.correct.length;
      const mapping = partial
        ? `<qti-mapping lower-bound="0" upper-bound="${points}" default-value="0">${item.options.map((o) => `<qti-map-entry map-key="${qtiId(o.id)}" mapped-value="${formatNumber(item.correct.includes(o.id) ? share : -share)}"/>`).join('')}</qti-mapping>`
        : '';
      decls = responseDecl('RESPONSE', multiple ? 'multiple' : 'single', 'identifier', item.correct.map(qtiId), mapping);
      bodyXml = `${stemDiv(item.stem)}    <qti-choice-interaction response-identifier="RESPONSE" ${shuffleAttr(item)} max-choices="${multiple ? 0 : 1}">\n${item.options.map((o) => choice('qti-simple-choice', o)).join('')}    </qti-choice-interaction>\n`;
      if (partial) processing = template('map_response');
      break;
    }
    case 'true_false': {
      const [yes, no] = lang === 'en' ? ['True', 'False'] : ['Đúng', 'Sai'];
      decls = responseDecl('RESPONSE', 'single', 'identifier', [item.value ? 'true' : 'false']);
      bodyXml = `${stemDiv(item.stem)}    <qti-choice-interaction response-identifier="RESPONSE" shuffle="false" max-choices="1">\n      <qti-simple-choice identifier="true">${yes}</qti-simple-choice>\n      <qti-simple-choice identifier="false">${no}</qti-simple-choice>\n    </qti-choice-interaction>\n`;
      break;
    }
    case 'true_false_cluster': {
      const [yes, no] = lang === 'en' ? ['True', 'False'] : ['Đúng', 'Sai'];
      const n = item.statements.length;
      decls = responseDecl('RESPONSE', 'multiple', 'directedPair', item.statements.map((s) => `${qtiId(s.id)} ${item.values[s.id] ? 'true' : 'false'}`));
      const ladder = item.ladder && item.ladder.join(' ') !== '0 0.1 0.25 0.5 1' ? ` data-ladder="${item.ladder.join(' ')}"` : '';
      bodyXml =
        `${stemDiv(item.stem)}    <qti-match-interaction response-identifier="RESPONSE" shuffle="false" max-associations="${n}" class="qti-match-tabular"${ladder}>\n` +
        `     <qti-simple-match-set>\n${item.statements.map((s) => choice('qti-simple-associable-choice', s, ' match-max="1"')).join('')}     </qti-simple-match-set>\n` +
        `     <qti-simple-match-set>\n      <qti-simple-associable-choice identifier="true" match-max="${n}">${yes}</qti-simple-associable-choice>\n      <qti-simple-associable-choice identifier="false" match-max="${n}">${no}</qti-simple-associable-choice>\n     </qti-simple-match-set>\n` +
        `    </qti-match-interaction>\n`;
      break;
    }
    case 'numeric': {
      const t = textEntry('RESPONSE', { id: 'x', value: item.value, tolerance: item.tolerance ?? 0 });
      decls = t.decl;
      bodyXml = `${stemDiv(item.stem)}    <p><qti-text-entry-interaction response-identifier="RESPONSE" expected-length="10"/></p>\n`;
      processing = `  <qti-response-processing>\n${numericCheck('RESPONSE', item.tolerance ?? 0, points)}  </qti-response-processing>\n`;
      break;
    }
    case 'short_text': {
      decls = responseDecl('RESPONSE', 'single', 'string', [item.accepted[0]!], stringMapping(item.accepted, item.caseSensitive === true, points));
      bodyXml = `${stemDiv(item.stem)}    <p><qti-text-entry-interaction response-identifier="RESPONSE" expected-length="20"/></p>\n`;
      processing = template('map_response');
      break;
    }
    case 'matching': {
      decls = responseDecl('RESPONSE', 'multiple', 'directedPair', item.premises.map((p) => `${qtiId(p.id)} ${qtiId(item.pairs[p.id] ?? '')}`));
      bodyXml =
        `${stemDiv(item.stem)}    <qti-match-interaction response-identifier="RESPONSE" ${shuffleAttr(item)} max-associations="${item.premises.length}">\n` +
        `     <qti-simple-match-set>\n${item.premises.map((p) => choice('qti-simple-associable-choice', p, ' match-max="1"')).join('')}     </qti-simple-match-set>\n` +
        `     <qti-simple-match-set>\n${item.choices.map((c) => choice('qti-simple-associable-choice', c, ` match-max="${item.premises.length}"`)).join('')}     </qti-simple-match-set>\n` +
        `    </qti-match-interaction>\n`;
      break;
    }
    case 'ordering': {
      decls = responseDecl('RESPONSE', 'ordered', 'identifier', item.order.map(qtiId));
      bodyXml = `${stemDiv(item.stem)}    <qti-order-interaction response-identifier="RESPONSE" ${shuffleAttr(item)}>\n${item.elements.map((e) => choice('qti-simple-choice', e)).join('')}    </qti-order-interaction>\n`;
      break;
    }
    case 'cloze': {
      const checks: string[] = [];
      const byId = new Map<string, string>();
      for (const b of item.blanks) {
        const rid = `RESPONSE_${b.id}`;
        const inline = 'options' in b ? choiceBlankQti(rid, b, qtiId, xmlHtml) : null;
        const t = inline ?? textEntry(rid, b as ClozeBlank);
        decls += t.decl;
        checks.push(t.check);
        byId.set(b.id, inline ? inline.interaction : `<qti-text-entry-interaction response-identifier="${rid}" expected-length="${'value' in b ? 10 : 20}"/>`);
      }
      const text = xmlHtml(item.text).replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (whole, id: string) => byId.get(id) ?? whole);
      bodyXml = `${stemDiv(item.stem)}    <div class="exam-cloze">${text}</div>\n`;
      full = `<qti-base-value base-type="float">${item.blanks.length}</qti-base-value>`;
      processing = `  <qti-response-processing>\n${checks.join('')}  </qti-response-processing>\n`;
      break;
    }
    case 'essay': {
      decls = responseDecl('RESPONSE', 'single', 'string', []);
      const rubric = item.rubric.map((r) => `<tr><td>${xmlHtml(r.criterion)}</td><td>${formatNumber(r.maxPoints)}</td></tr>`).join('');
      bodyXml =
        `${stemDiv(item.stem)}    <qti-extended-text-interaction response-identifier="RESPONSE"${item.maxWords ? ` data-max-words="${item.maxWords}"` : ''}/>\n` +
        `    <qti-rubric-block use="scoring" view="scorer"><qti-content-body><table class="exam-rubric">${rubric}</table></qti-content-body></qti-rubric-block>\n`;
      processing = '';
      break;
    }
    default:
      throw new Error('unknown item type');
  }
  const feedback = feedbackXml(item, full);
  const hints = item.hints ?? [];
  if (hints.length) {
    // QTI's hint: an end-attempt button whose response shows the hints (feedback blocks) instead of scoring.
    bodyXml +=
      `    <p><qti-end-attempt-interaction response-identifier="HINTREQUEST" title="${lang === 'en' ? 'Show hint' : 'Xem gợi ý'}"/></p>\n` +
      hints.map((hint, i) => `    <qti-feedback-block identifier="HINT_${i + 1}" outcome-identifier="FEEDBACK_HINT" show-hide="show"><qti-content-body>${xmlHtml(hint)}</qti-content-body></qti-feedback-block>\n`).join('');
    decls += '  <qti-response-declaration identifier="HINTREQUEST" cardinality="single" base-type="boolean"/>\n';
    feedback.decls += '  <qti-outcome-declaration identifier="FEEDBACK_HINT" cardinality="multiple" base-type="identifier"/>\n';
  }
  if (feedback.rules || hints.length) {
    // Feedback rules follow the scoring, so a template is written out as its rules.
    const named = /template="[^"]*\/(match_correct|map_response)\.xml"/.exec(processing)?.[1] as 'match_correct' | 'map_response' | undefined;
    const scoring = named ? inlineTemplate(named) : processing.replace(/^ {2}<qti-response-processing>\n/, '').replace(/ {2}<\/qti-response-processing>\n$/, '');
    const rules = `${scoring}${feedback.rules}`;
    processing = hints.length
      ? `  <qti-response-processing>\n    <qti-response-condition><qti-response-if><qti-variable identifier="HINTREQUEST"/><qti-set-outcome-value identifier="FEEDBACK_HINT"><qti-multiple>${hints.map((_, i) => `<qti-base-value base-type="identifier">HINT_${i + 1}</qti-base-value>`).join('')}</qti-multiple></qti-set-outcome-value></qti-response-if><qti-response-else>\n${rules}    </qti-response-else></qti-response-condition>\n  </qti-response-processing>\n`
      : `  <qti-response-processing>\n${rules}  </qti-response-processing>\n`;
  }
  // The recording, before the stem: HTML5 audio, its play limit in data-max-plays (QTI has no standard one in item bodies).
  const audio = audioOf(item);
  if (audio) {
    const plays = audio.maxPlays !== undefined ? ` data-max-plays="${audio.maxPlays}"` : '';
    bodyXml = `    <audio src="${AUDIO_URL}${audio.media}" controls="controls"${plays}/>\n${bodyXml}`;
  }
  if (item.staffNotes) {
    bodyXml += `    <qti-rubric-block use="instructions" view="tutor"><qti-content-body>${xmlHtml(item.staffNotes)}</qti-content-body></qti-rubric-block>\n`;
  }
  // The item's id in its source when it is an XML name (else kept in data-external-id), and its title.
  const externalId = item.provenance?.externalId;
  const identifier = externalId && NCNAME.test(externalId) ? externalId : 'id' in item ? `item-${item.id}` : 'item';
  const dataExternal = externalId && externalId !== identifier ? ` data-external-id="${escapeXml(externalId)}"` : '';
  const title = escapeXml(item.provenance?.title ?? stemTitle(item.stem));
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<qti-assessment-item xmlns="${QTI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
    `xsi:schemaLocation="${QTI_NS} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd" ` +
    `identifier="${escapeXml(identifier)}" title="${title}" adaptive="false" time-dependent="false" xml:lang="${lang}"${dataExternal}>\n` +
    decls +
    outcomes(points) +
    feedback.decls +
    stimulusRef +
    `  <qti-item-body>\n${bodyXml}  </qti-item-body>\n` +
    processing +
    feedback.modal +
    '</qti-assessment-item>\n'
  );
}

/** Types whose interaction carries `shuffle`; the others keep shuffleOptions as a keyword. */
const SHUFFLE_ATTR = new Set<ItemType>(['single_choice', 'multiple_choice', 'matching', 'ordering']);

const MANIFEST_HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" xmlns:imsmd="http://ltsc.ieee.org/xsd/LOM" ' +
  `identifier="exam-engine-export">\n  <metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion></metadata>\n  <organizations/>\n  <resources>\n`;
const MANIFEST_TAIL = '  </resources>\n</manifest>\n';

function lomXml(keywords: string[]): string {
  return keywords.length
    ? `<metadata><imsmd:lom><imsmd:general>${keywords.map((k) => `<imsmd:keyword><imsmd:string>${escapeXml(k)}</imsmd:string></imsmd:keyword>`).join('')}</imsmd:general></imsmd:lom></metadata>`
    : '';
}

/** A passage's classification as the manifest keywords items use (`subject:…`, `grade:…`, `topic:…`, its own tags). */
function stimulusKeywords(s: ExportStimulus): string[] {
  return metaTags({ subject: s.subject, grade: s.grade, topic: s.topic, tags: s.tags } as unknown as ItemContent, { points: true, language: true, shuffle: true });
}

function resourceXml(identifier: string, href: string, keywords: string[], files: string[] = [], stimulus?: string): string {
  const lom = lomXml(keywords);
  const more = files.map((f) => `<file href="${f}"/>`).join('');
  const dependency = stimulus ? `<dependency identifierref="${stimulus}"/>` : '';
  return `    <resource identifier="${identifier}" type="imsqti_item_xmlv3p0" href="${href}">${lom}<file href="${href}"/>${more}${dependency}</resource>\n`;
}

const MEDIA_EXTENSION: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'audio/mp4': 'm4a',
};

const QTI_HEAD = `xmlns="${QTI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="${QTI_NS} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"`;

/** One `qti-assessment-stimulus` document: a passage that items refer to. */
export function serializeStimulus(identifier: string, stimulus: ExportStimulus): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<qti-assessment-stimulus ${QTI_HEAD} identifier="${identifier}" title="${escapeXml(stimulus.title)}" xml:lang="${stimulus.language ?? 'vi'}">\n` +
    `  <qti-stimulus-body>${xmlHtml(stimulus.content)}</qti-stimulus-body>\n` +
    '</qti-assessment-stimulus>\n'
  );
}

/**
 * The package's copy of the media library: each file once under media/,
 * named by its hash, and documents pointing at it by relative path instead
 * of the library's address, so a player (or a re-import) finds the pictures.
 */
class PackageMedia {
  private readonly added = new Map<string, string>();

  constructor(
    private readonly zip: ZipWriter,
    private readonly source: ItemSource,
  ) {}

  /** `xml` with library addresses swapped for package paths (documents sit one folder down); the paths it added. */
  async embed(content: unknown, xml: string): Promise<{ xml: string; files: string[] }> {
    if (!this.source.media || !xml.includes('/api/media/')) return { xml, files: [] };
    const files = await this.source.media(content);
    const used: string[] = [];
    let out = xml;
    for (const [url, file] of files) {
      let name = this.added.get(url);
      if (name === undefined) {
        name = `media/${url.slice(url.lastIndexOf('/') + 1)}.${MEDIA_EXTENSION[file.type] ?? 'bin'}`;
        await this.zip.add(name, file.data);
        this.added.set(url, name);
      }
      used.push(name);
      out = out.split(url).join(`../${name}`);
    }
    return { xml: out, files: used };
  }
}

/**
 * A content package: one file per item under items/, the passages they
 * refer to under stimuli/, library pictures under media/, and
 * imsmanifest.xml last. The manifest grows in a temporary file while items
 * stream out, so memory holds one page of items, not the whole export.
 */
export async function write(source: ItemSource, out: Writable): Promise<void> {
  const zip = new ZipWriter(out);
  const dir = await mkdtemp(path.join(tmpdir(), 'qti-export-'));
  const manifestPath = path.join(dir, 'imsmanifest.xml');
  const manifest = createWriteStream(manifestPath);
  const media = new PackageMedia(zip, source);
  /** Resource identifier of each passage written, null when it cannot be read. */
  const passages = new Map<string, { identifier: string; href: string; title: string } | null>();
  const passage = async (id: string) => {
    if (!passages.has(id)) {
      const stimulus = source.stimulus ? await source.stimulus(id) : undefined;
      if (!stimulus) passages.set(id, null);
      else {
        const identifier = qtiId(`stimulus-${id}`);
        const href = `stimuli/${identifier}.xml`;
        const { xml, files } = await media.embed(stimulus, serializeStimulus(identifier, stimulus));
        await zip.add(href, xml);
        await writeChunk(manifest, `    <resource identifier="${identifier}" type="imsqti_stimulus_xmlv3p0" href="${href}">${lomXml(stimulusKeywords(stimulus))}<file href="${href}"/>${files.map((f) => `<file href="${f}"/>`).join('')}</resource>\n`);
        passages.set(id, { identifier, href, title: stimulus.title });
      }
    }
    return passages.get(id) ?? null;
  };
  try {
    await writeChunk(manifest, MANIFEST_HEAD);
    for await (const item of source.all()) {
      const identifier = `item-${item.id}`;
      const href = `items/${identifier}.xml`;
      const stimulus = item.stimulusId ? await passage(item.stimulusId) : null;
      const ref = stimulus ? `  <qti-assessment-stimulus-ref identifier="${stimulus.identifier}" href="../${stimulus.href}"/>\n` : '';
      const audio = audioOf(item);
      // The recording is named by its id, not by an address in the text: the package's copy is looked up by its address.
      const embedded = await media.embed(audio ? [item, `${AUDIO_URL}${audio.media}`] : item, serializeItem(item, ref));
      let { xml } = embedded;
      const { files } = embedded;
      if (audio && xml.includes(`${AUDIO_URL}${audio.media}`)) {
        // A recording the caller may not read is not written, nor pointed at on the server; the export counts it.
        xml = xml.replace(/ {4}<audio src="\/api\/media\/[0-9a-f]{64}"[^>]*\/>\n/, '');
        source.audioDropped?.();
      }
      await zip.add(href, xml);
      const flags: Record<string, string> = {};
      if (item.type === 'ordering' && item.scoring === 'partial') flags.scoring = 'partial';
      if (item.type === 'short_text' && item.ignoreDiacritics) flags.diacritics = 'ignore';
      const keywords = [...metaTags(item, { points: true, language: true, shuffle: SHUFFLE_ATTR.has(item.type) }), ...flagTags(flags)];
      await writeChunk(manifest, resourceXml(identifier, href, keywords, files, stimulus?.identifier));
    }
    manifest.end(MANIFEST_TAIL);
    await finished(manifest);
    await zip.addFile('imsmanifest.xml', manifestPath);
    await zip.finish();
  } finally {
    manifest.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

export const qti: FormatModule = {
  name: 'qti',
  types: QTI_TYPES,
  contentType: 'application/zip',
  extension: 'qti.zip',
  parse,
  write,
  audio: true,
};
