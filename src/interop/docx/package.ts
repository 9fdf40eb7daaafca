import path from 'node:path/posix';
import { UnreadableFile } from '../model.js';
import { attr, elements, findAll, parseXml, type XElement } from '../xml.js';
import { isZip, safeUnzip } from '../zip.js';

/**
 * The parts of a .docx (an OOXML package) the exam reader needs: the main
 * document, its relationships, numbering and styles, and the files they
 * point at. Zip limits are those of every other import (zip.ts).
 */

export interface Relationship {
  type: string;
  /** Zip path of the target, or the URL of an external one. */
  target: string;
  external: boolean;
}

const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0];

const EXTENSION_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  emf: 'image/x-emf',
  wmf: 'image/x-wmf',
  bin: 'application/vnd.openxmlformats-officedocument.oleObject',
};

export class DocxPackage {
  private constructor(
    private readonly files: Map<string, Uint8Array>,
    private readonly contentTypes: { defaults: Map<string, string>; overrides: Map<string, string> },
    readonly documentPath: string,
  ) {}

  /** Opens the bytes as a Word package; anything else is refused with what it looks like instead. */
  static open(bytes: Uint8Array): DocxPackage {
    if (bytes.length === 0) throw new UnreadableFile('The file is empty');
    if (OLE_MAGIC.every((b, i) => bytes[i] === b)) {
      throw new UnreadableFile('The file is an old Word document (.doc) or a password-protected one; save it as .docx (Word 2007 or later) without a password');
    }
    if (!isZip(bytes)) throw new UnreadableFile('The file is not a .docx (Word) document');
    const files = safeUnzip(bytes, 'The .docx file');
    const types = files.get('[Content_Types].xml');
    const defaults = new Map<string, string>();
    const overrides = new Map<string, string>();
    if (types) {
      const root = parseXml(decode(types), 'The .docx content types');
      for (const d of elements(root, 'Default')) defaults.set((attr(d, 'Extension') ?? '').toLowerCase(), attr(d, 'ContentType') ?? '');
      for (const o of elements(root, 'Override')) overrides.set((attr(o, 'PartName') ?? '').replace(/^\//, ''), attr(o, 'ContentType') ?? '');
    }
    let documentPath = 'word/document.xml';
    const rootRels = files.get('_rels/.rels');
    if (rootRels) {
      const rel = elements(parseXml(decode(rootRels), 'The .docx package relationships'), 'Relationship').find((r) => (attr(r, 'Type') ?? '').endsWith('/officeDocument'));
      const target = rel && attr(rel, 'Target');
      if (target) documentPath = target.replace(/^\//, '');
    }
    if (!files.has(documentPath)) throw new UnreadableFile('The file is a zip archive but not a Word document (it has no word/document.xml)');
    return new DocxPackage(files, { defaults, overrides }, documentPath);
  }

  has(part: string): boolean {
    return this.files.has(part);
  }

  bytes(part: string): Uint8Array | undefined {
    return this.files.get(part);
  }

  /** A part parsed as XML, or undefined when the package lacks it. */
  xml(part: string): XElement | undefined {
    const data = this.files.get(part);
    return data ? parseXml(decode(data), `The .docx part ${part}`) : undefined;
  }

  /** The relationships of a part, by id. */
  relationships(part: string): Map<string, Relationship> {
    const dir = path.dirname(part);
    const relsPath = path.join(dir, '_rels', `${path.basename(part)}.rels`);
    const out = new Map<string, Relationship>();
    const root = this.xml(relsPath);
    if (!root) return out;
    for (const r of findAll(root, (e) => e.name === 'Relationship')) {
      const id = attr(r, 'Id');
      const target = attr(r, 'Target');
      if (!id || target === undefined) continue;
      const external = attr(r, 'TargetMode') === 'External';
      out.set(id, {
        type: (attr(r, 'Type') ?? '').split('/').pop() ?? '',
        target: external ? target : target.startsWith('/') ? target.slice(1) : path.normalize(path.join(dir, target)),
        external,
      });
    }
    return out;
  }

  contentType(part: string): string {
    const override = this.contentTypes.overrides.get(part);
    if (override) return override;
    const ext = path.extname(part).slice(1).toLowerCase();
    return this.contentTypes.defaults.get(ext) || EXTENSION_TYPES[ext] || 'application/octet-stream';
  }
}

export function decode(data: Uint8Array): string {
  if (data[0] === 0xff && data[1] === 0xfe) return Buffer.from(data.subarray(2)).toString('utf16le');
  const text = Buffer.from(data).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
