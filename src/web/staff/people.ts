/**
 * People on staff screens: a name with its username (and số báo danh for
 * candidates) instead of a database id. The server sends names only for people
 * the viewer may see; anyone else reads as "someone of another organisation".
 */
import type { PersonName } from '../../contracts/people.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

export { personMatches } from '../../contracts/people.js';

/** "Nguyễn Thị Lan (gv.toan)", "Bạn" for the viewer, or the other-organisation wording. */
export function personLabel(id: string, people: Record<string, PersonName> | undefined, selfId: string): string {
  if (id === selfId) return t('staff.you');
  const p = people?.[id];
  return p ? t('staff.person.named', { name: p.displayName, username: p.username }) : t('staff.person.other');
}

/** A candidate in one line, for messages and labels: "Học sinh 1 (SBD HS0001)", else the username, else the id. */
export function candidateLabel(row: { candidateId: string } & Partial<PersonName>): string {
  if (!row.displayName) return row.username ?? row.candidateId;
  return row.studentId ? t('staff.person.candidate', { name: row.displayName, sbd: row.studentId }) : t('staff.person.named', { name: row.displayName, username: row.username ?? '' });
}

/** A candidate's cell: the full name, and the username and số báo danh below it (the id when the name is not the viewer's to see). */
export function candidateCell(row: { candidateId: string } & Partial<PersonName>): HTMLElement {
  if (!row.displayName) return h('span', { class: 'person' }, h('code', null, row.candidateId));
  return h(
    'span',
    { class: 'person' },
    h('strong', { class: 'person-name' }, row.displayName),
    h(
      'span',
      { class: 'person-ids muted small' },
      row.username ?? '',
      row.studentId ? h('span', { class: 'person-sbd' }, ` · ${t('staff.person.sbd', { sbd: row.studentId })}`) : null,
    ),
  );
}
