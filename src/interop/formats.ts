import { aiken } from './aiken.js';
import { csv } from './csv.js';
import { docx } from './docx-format.js';
import { gift } from './gift.js';
import type { FormatModule, FormatName } from './model.js';
import { moodleXml } from './moodle-xml.js';
import { qti } from './qti.js';
import { xlsx } from './xlsx.js';

/** Every interchange format by its `?format=` name. */
export const FORMAT_MODULES: Record<FormatName, FormatModule> = {
  gift,
  'moodle-xml': moodleXml,
  aiken,
  qti,
  csv,
  xlsx,
  docx,
};
