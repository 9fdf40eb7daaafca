/**
 * A cloze choice blank in QTI 3: a `qti-inline-choice-interaction` whose
 * response scores 1 when right, like a text-entry gap of the same item
 * (qti.ts sums the gaps). A single pick maps every right option to 1; a
 * pick-several blank (QTI's inline choice has no such form) is declared with
 * cardinality multiple and matched against the whole right set.
 */
import type { ClozeChoiceBlank } from '../bank/item-types.js';
import { escapeXml } from './xml.js';

export function choiceBlankQti(
  responseId: string,
  blank: ClozeChoiceBlank,
  qtiId: (id: string) => string,
  html: (s: string) => string,
): { decl: string; check: string; interaction: string } {
  const value = (id: string) => `<qti-value>${escapeXml(qtiId(id))}</qti-value>`;
  const correct = `<qti-correct-response>${blank.correct.map(value).join('')}</qti-correct-response>`;
  const add = `<qti-set-outcome-value identifier="SCORE"><qti-sum><qti-variable identifier="SCORE"/><qti-base-value base-type="float">1</qti-base-value></qti-sum></qti-set-outcome-value>`;
  const interaction =
    `<qti-inline-choice-interaction response-identifier="${responseId}" shuffle="${blank.shuffle === true}">` +
    blank.options.map((o) => `<qti-inline-choice identifier="${qtiId(o.id)}">${html(o.text)}</qti-inline-choice>`).join('') +
    `</qti-inline-choice-interaction>`;
  if (blank.multiple) {
    return {
      decl: `  <qti-response-declaration identifier="${responseId}" cardinality="multiple" base-type="identifier">${correct}</qti-response-declaration>\n`,
      check: `    <qti-response-condition><qti-response-if><qti-match><qti-variable identifier="${responseId}"/><qti-correct identifier="${responseId}"/></qti-match>${add}</qti-response-if></qti-response-condition>\n`,
      interaction,
    };
  }
  const mapping = `<qti-mapping default-value="0" upper-bound="1">${blank.correct.map((id) => `<qti-map-entry map-key="${escapeXml(qtiId(id))}" mapped-value="1"/>`).join('')}</qti-mapping>`;
  return {
    decl: `  <qti-response-declaration identifier="${responseId}" cardinality="single" base-type="identifier">${correct}${mapping}</qti-response-declaration>\n`,
    check: `    <qti-response-condition><qti-response-if><qti-not><qti-is-null><qti-variable identifier="${responseId}"/></qti-is-null></qti-not><qti-set-outcome-value identifier="SCORE"><qti-sum><qti-variable identifier="SCORE"/><qti-map-response identifier="${responseId}"/></qti-sum></qti-set-outcome-value></qti-response-if></qti-response-condition>\n`,
    interaction,
  };
}
