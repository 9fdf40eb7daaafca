import { strToU8, zipSync, type Zippable } from 'fflate';

/**
 * A small .docx writer for tests and the docx benchmark: paragraphs of runs
 * with the formatting exam papers use to mark keys, tabs, line breaks, Word
 * equations (OMML given as XML), pictures, MathType-style OLE objects,
 * Word list numbering and tables. Files it writes are synthetic and are
 * labelled as such wherever they are used.
 */

export type Run =
  | string
  | { t: string; b?: boolean; i?: boolean; u?: boolean; color?: string; highlight?: string; sup?: boolean; sub?: boolean }
  | { tab: true }
  | { br: true }
  | { omml: string }
  | { image: string; width?: number; height?: number }
  | { mathtype: { preview: string; mathml?: string } };

export interface Para {
  runs: Run[];
  /** Word list numbering: the numbering definition (see {@link DocxSpec.lists}) and level. */
  list?: { numId: number; ilvl?: number };
  /** A display equation (OMML inside m:oMathPara). */
  display?: string;
}

export type Block = Para | { table: Para[][][] };

export interface DocxSpec {
  blocks: Block[];
  /** Pictures by name (PNG bytes, or anything for previews). */
  media?: Record<string, Uint8Array>;
  /** Word list definitions by numId: lvlText and format of level 0. */
  lists?: Record<number, { text: string; format: 'decimal' | 'upperLetter' | 'lowerLetter' }>;
}

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const M = 'http://schemas.openxmlformats.org/officeDocument/2006/math';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A 1×1 PNG (a valid file, so the pictures of generated documents are real images). */
export const PNG_1X1 = Uint8Array.from(
  Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'),
);

/** OMML for an inline equation from its inner XML (m:r, m:f, …). */
export function omath(inner: string): string {
  return `<m:oMath>${inner}</m:oMath>`;
}

/** An OMML run of text. */
export function mr(text: string): string {
  return `<m:r><m:t>${esc(text)}</m:t></m:r>`;
}

export function writeDocx(spec: DocxSpec): Uint8Array {
  const rels: string[] = [];
  const files: Zippable = {};
  const relFor = new Map<string, string>();
  const rel = (type: string, target: string) => {
    const key = `${type}|${target}`;
    let id = relFor.get(key);
    if (!id) {
      id = `rId${rels.length + 10}`;
      relFor.set(key, id);
      rels.push(`<Relationship Id="${id}" Type="${R}/${type}" Target="${esc(target)}"/>`);
    }
    return id;
  };
  let oleCount = 0;
  let shapeId = 1;

  const run = (r: Run): string => {
    if (typeof r === 'string') return `<w:r><w:t xml:space="preserve">${esc(r)}</w:t></w:r>`;
    if ('tab' in r) return '<w:r><w:tab/></w:r>';
    if ('br' in r) return '<w:r><w:br/></w:r>';
    if ('omml' in r) return r.omml;
    if ('image' in r) {
      const id = rel('image', `media/${r.image}`);
      const cx = (r.width ?? 100) * 9525;
      const cy = (r.height ?? 50) * 9525;
      return `<w:r><w:drawing><wp:inline><wp:extent cx="${cx}" cy="${cy}"/><wp:docPr id="${shapeId++}" name="Picture"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:blipFill><a:blip r:embed="${id}"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>`;
    }
    if ('mathtype' in r) {
      oleCount++;
      const bin = `embeddings/oleObject${oleCount}.bin`;
      files[`word/${bin}`] = compoundFile('Equation Native', r.mathtype.mathml ? strToU8(r.mathtype.mathml) : new Uint8Array(64));
      const oleId = rel('oleObject', bin);
      const imgId = rel('image', `media/${r.mathtype.preview}`);
      return `<w:r><w:object><v:shape id="_x0000_i10${oleCount}" style="width:60pt;height:18pt"><v:imagedata r:id="${imgId}"/></v:shape><o:OLEObject Type="Embed" ProgID="Equation.DSMT4" ShapeID="_x0000_i10${oleCount}" r:id="${oleId}"/></w:object></w:r>`;
    }
    const props = [
      r.b ? '<w:b/>' : '',
      r.i ? '<w:i/>' : '',
      r.color ? `<w:color w:val="${r.color}"/>` : '',
      r.u ? '<w:u w:val="single"/>' : '',
      r.highlight ? `<w:highlight w:val="${r.highlight}"/>` : '',
      r.sup ? '<w:vertAlign w:val="superscript"/>' : r.sub ? '<w:vertAlign w:val="subscript"/>' : '',
    ].join('');
    return `<w:r>${props ? `<w:rPr>${props}</w:rPr>` : ''}<w:t xml:space="preserve">${esc(r.t)}</w:t></w:r>`;
  };

  const para = (p: Para): string => {
    const pPr = p.list ? `<w:pPr><w:numPr><w:ilvl w:val="${p.list.ilvl ?? 0}"/><w:numId w:val="${p.list.numId}"/></w:numPr></w:pPr>` : '';
    const display = p.display ? `<m:oMathPara>${p.display}</m:oMathPara>` : '';
    return `<w:p>${pPr}${p.runs.map(run).join('')}${display}</w:p>`;
  };

  const block = (b: Block): string => {
    if ('table' in b) {
      return `<w:tbl><w:tblPr/>${b.table.map((row) => `<w:tr>${row.map((cell) => `<w:tc>${(cell.length ? cell : [{ runs: [] }]).map(para).join('')}</w:tc>`).join('')}</w:tr>`).join('')}</w:tbl>`;
    }
    return para(b);
  };

  const body = spec.blocks.map(block).join('');
  files['word/document.xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="${W}" xmlns:r="${R}" xmlns:m="${M}" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"><w:body>${body}<w:sectPr/></w:body></w:document>`,
  );
  for (const [name, bytes] of Object.entries(spec.media ?? {})) files[`word/media/${name}`] = bytes;
  if (spec.lists) {
    const abstract = Object.entries(spec.lists)
      .map(([id, l]) => `<w:abstractNum w:abstractNumId="${id}"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="${l.format}"/><w:lvlText w:val="${esc(l.text)}"/></w:lvl></w:abstractNum>`)
      .join('');
    const nums = Object.keys(spec.lists)
      .map((id) => `<w:num w:numId="${id}"><w:abstractNumId w:val="${id}"/></w:num>`)
      .join('');
    files['word/numbering.xml'] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><w:numbering xmlns:w="${W}">${abstract}${nums}</w:numbering>`);
    rel('numbering', 'numbering.xml');
  }
  files['word/_rels/document.xml.rels'] = strToU8(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels.join('')}</Relationships>`);
  files['_rels/.rels'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${R}/officeDocument" Target="word/document.xml"/></Relationships>`,
  );
  files['[Content_Types].xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="wmf" ContentType="image/x-wmf"/><Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
  );
  return zipSync(files);
}

/**
 * A compound file (OLE container) with one stream, padded to 4 KiB so it
 * lives in regular sectors, the way MathType's objects hold "Equation Native".
 */
export function compoundFile(streamName: string, content: Uint8Array): Uint8Array {
  const SECTOR = 512;
  const data = new Uint8Array(Math.max(4096, Math.ceil(content.length / SECTOR) * SECTOR));
  data.set(content);
  const dataSectors = data.length / SECTOR;
  const out = Buffer.alloc(SECTOR * (3 + dataSectors));
  const header = out.subarray(0, SECTOR);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header, 0);
  header.writeUInt16LE(0x3e, 24);
  header.writeUInt16LE(3, 26);
  header.writeUInt16LE(0xfffe, 28);
  header.writeUInt16LE(9, 30);
  header.writeUInt16LE(6, 32);
  header.writeUInt32LE(1, 44); // one FAT sector
  header.writeUInt32LE(1, 48); // directory at sector 1
  header.writeUInt32LE(4096, 56);
  header.writeUInt32LE(0xfffffffe, 60);
  header.writeUInt32LE(0xfffffffe, 68);
  for (let i = 0; i < 109; i++) header.writeUInt32LE(i === 0 ? 0 : 0xffffffff, 76 + i * 4);
  const fat = out.subarray(SECTOR, 2 * SECTOR);
  for (let i = 0; i < SECTOR / 4; i++) fat.writeUInt32LE(0xffffffff, i * 4);
  fat.writeUInt32LE(0xfffffffd, 0);
  fat.writeUInt32LE(0xfffffffe, 4);
  for (let s = 0; s < dataSectors; s++) fat.writeUInt32LE(s === dataSectors - 1 ? 0xfffffffe : 3 + s, (2 + s) * 4);
  const dir = out.subarray(2 * SECTOR, 3 * SECTOR);
  const entry = (i: number, name: string, type: number, child: number, start: number, size: number) => {
    const e = dir.subarray(i * 128, (i + 1) * 128);
    const n = Buffer.from(`${name}\0`, 'utf16le');
    n.copy(e, 0);
    e.writeUInt16LE(n.length, 64);
    e[66] = type;
    e.writeUInt32LE(0xffffffff, 68);
    e.writeUInt32LE(0xffffffff, 72);
    e.writeUInt32LE(child, 76);
    e.writeUInt32LE(start, 116);
    e.writeUInt32LE(size, 120);
  };
  entry(0, 'Root Entry', 5, 1, 0xfffffffe, 0);
  entry(1, streamName, 2, 0xffffffff, 2, data.length);
  Buffer.from(data).copy(out, 3 * SECTOR);
  return new Uint8Array(out);
}
