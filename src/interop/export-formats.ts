import { DOCX_CONTENT_TYPE, DOCX_EXPORT_TYPES, writeBankTo } from './docx/write-bank.js';
import { FORMAT_MODULES } from './formats.js';
import { FORMATS, type FormatModule, type FormatName } from './model.js';

/**
 * What GET /api/items/export writes: every interchange format, and Word
 * (docx), which exports bank items in the convention the Word importer
 * reads (src/interop/docx/write-bank.ts).
 */

export type ExportModule = Pick<FormatModule, 'types' | 'contentType' | 'extension' | 'write'>;
export type ExportFormat = FormatName | 'docx';

export const EXPORT_FORMATS: readonly ExportFormat[] = [...FORMATS.filter((f) => (f as string) !== 'docx'), 'docx'];

const DOCX_EXPORT: ExportModule = { types: DOCX_EXPORT_TYPES, contentType: DOCX_CONTENT_TYPE, extension: 'docx', write: writeBankTo };

export function exportModule(format: ExportFormat): ExportModule {
  return format === 'docx' ? DOCX_EXPORT : FORMAT_MODULES[format];
}
