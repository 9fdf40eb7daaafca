import { DOCX_CONTENT_TYPE, DOCX_EXPORT_TYPES, writeBankTo } from './docx/write-bank.js';
import { FORMAT_MODULES } from './formats.js';
import type { FormatModule, FormatName } from './model.js';

/**
 * What GET /api/items/export writes: every interchange format, and for Word
 * (docx, whose format module reads papers only) the writer of bank items in
 * the convention the Word importer reads (src/interop/docx/write-bank.ts).
 */

export type ExportModule = Pick<FormatModule, 'types' | 'contentType' | 'extension' | 'write' | 'audio'>;

const DOCX_EXPORT: ExportModule = { types: DOCX_EXPORT_TYPES, contentType: DOCX_CONTENT_TYPE, extension: 'docx', write: writeBankTo };

export function exportModule(format: FormatName): ExportModule {
  return format === 'docx' ? DOCX_EXPORT : FORMAT_MODULES[format];
}
