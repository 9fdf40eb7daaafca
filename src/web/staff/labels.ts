/** Names of the bank's enumerations in the current language. */
import { hasMessage, t } from '../i18n.js';
import { ITEM_TYPES, type ItemType } from '../items/types.js';

export { ITEM_TYPES };

export const LEVELS = [1, 2, 3, 4] as const;
export const SHARING_VALUES = ['private', 'org', 'subtree', 'national'] as const;
export const ITEM_STATUS_VALUES = ['draft', 'in_review', 'approved', 'retired'] as const;
export const IMPORT_FORMATS = ['docx', 'gift', 'moodle-xml', 'aiken', 'qti', 'csv', 'xlsx'] as const;
export const EXPORT_FORMATS = ['gift', 'moodle-xml', 'aiken', 'qti', 'csv', 'xlsx', 'docx'] as const;

function lookup(key: string, fallback: string): string {
  return hasMessage(key) ? t(key) : fallback;
}

export function typeLabel(type: ItemType | string): string {
  return lookup(`staff.type.${type}`, type);
}

export function levelLabel(level: number): string {
  return lookup(`staff.level.${level}`, String(level));
}

export function sharingLabel(sharing: string): string {
  return lookup(`staff.sharing.${sharing}`, sharing);
}

export function sharingHint(sharing: string): string {
  return lookup(`staff.sharingHint.${sharing}`, '');
}

export function statusLabel(status: string): string {
  return lookup(`staff.status.${status}`, status);
}

export function formatLabel(format: string): string {
  return lookup(`staff.format.${format}`, format);
}

export function typeOptions(withAny: string | null): [string, string][] {
  const list: [string, string][] = ITEM_TYPES.map((type) => [type, typeLabel(type)]);
  return withAny === null ? list : [['', withAny], ...list];
}

export function levelOptions(withAny: string | null): [string, string][] {
  const list: [string, string][] = LEVELS.map((l) => [String(l), `${l} – ${levelLabel(l)}`]);
  return withAny === null ? list : [['', withAny], ...list];
}

export function gradeOptions(withAny: string | null): [string, string][] {
  const list: [string, string][] = Array.from({ length: 13 }, (_, i) => [String(i + 1), i + 1 === 13 ? t('staff.grade.higher') : t('staff.grade.n', { n: i + 1 })]);
  return withAny === null ? list : [['', withAny], ...list];
}
