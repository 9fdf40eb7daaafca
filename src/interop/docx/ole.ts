/**
 * Just enough of the Compound File Binary format (the container of an
 * embedded OLE object such as a MathType equation) to list its streams.
 * MathType keeps its own binary (MTEF) in "Equation Native"; when the
 * author's settings ask for it, MathML travels in the object too, and
 * {@link findMathml} finds it in any stream. Malformed or hostile files give
 * no streams, never an exception: the caller falls back to the picture.
 */

const MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const END_OF_CHAIN = 0xfffffffe;
const FREE = 0xffffffff;
/** Streams and sectors one object may have; MathType objects are a few kilobytes. */
const MAX_SECTORS = 65_536;

export interface CfbStream {
  name: string;
  data: Uint8Array;
}

export function isCompoundFile(data: Uint8Array): boolean {
  return data.length >= 512 && MAGIC.every((b, i) => data[i] === b);
}

export function cfbStreams(data: Uint8Array): CfbStream[] {
  try {
    return readStreams(data);
  } catch {
    return [];
  }
}

function readStreams(data: Uint8Array): CfbStream[] {
  if (!isCompoundFile(data)) return [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const sectorSize = 1 << view.getUint16(30, true);
  const miniSectorSize = 1 << view.getUint16(32, true);
  if (sectorSize !== 512 && sectorSize !== 4096) return [];
  const fatSectors = view.getUint32(44, true);
  const dirStart = view.getUint32(48, true);
  const miniCutoff = view.getUint32(56, true);
  const miniFatStart = view.getUint32(60, true);
  let difatNext = view.getUint32(68, true);
  const sectorOffset = (s: number) => (s + 1) * sectorSize;

  // The FAT's own sectors: 109 in the header, the rest in a DIFAT chain.
  const fatList: number[] = [];
  for (let i = 0; i < 109 && fatList.length < fatSectors; i++) fatList.push(view.getUint32(76 + i * 4, true));
  let guard = 0;
  while (fatList.length < fatSectors && difatNext !== END_OF_CHAIN && difatNext !== FREE && guard++ < MAX_SECTORS) {
    const off = sectorOffset(difatNext);
    if (off + sectorSize > data.length) break;
    for (let i = 0; i < sectorSize / 4 - 1 && fatList.length < fatSectors; i++) fatList.push(view.getUint32(off + i * 4, true));
    difatNext = view.getUint32(off + sectorSize - 4, true);
  }
  const fat: number[] = [];
  for (const s of fatList) {
    const off = sectorOffset(s);
    if (off + sectorSize > data.length) return [];
    for (let i = 0; i < sectorSize / 4; i++) fat.push(view.getUint32(off + i * 4, true));
  }

  const chain = (start: number, next: number[]): number[] => {
    const out: number[] = [];
    let s = start;
    while (s !== END_OF_CHAIN && s !== FREE && s < next.length && out.length < MAX_SECTORS) {
      out.push(s);
      s = next[s]!;
    }
    return out;
  };
  const readChain = (start: number, size?: number): Buffer => {
    const parts = chain(start, fat).map((s) => data.subarray(sectorOffset(s), sectorOffset(s) + sectorSize));
    const all = Buffer.concat(parts);
    return size === undefined ? all : all.subarray(0, size);
  };

  const dir = readChain(dirStart);
  const entries: { name: string; type: number; start: number; size: number }[] = [];
  for (let off = 0; off + 128 <= dir.length; off += 128) {
    const nameLen = dir.readUInt16LE(off + 64);
    const name = Buffer.from(dir.subarray(off, off + Math.max(0, Math.min(64, nameLen) - 2))).toString('utf16le');
    entries.push({ name, type: dir[off + 66]!, start: dir.readUInt32LE(off + 116), size: dir.readUInt32LE(off + 120) });
  }
  const root = entries.find((e) => e.type === 5);
  const miniStream = root ? readChain(root.start, root.size) : new Uint8Array(0);
  const miniFat: number[] = [];
  if (miniFatStart !== END_OF_CHAIN) {
    const mf = readChain(miniFatStart);
    for (let i = 0; i + 4 <= mf.length; i += 4) miniFat.push(Buffer.from(mf).readUInt32LE(i));
  }
  const readMini = (start: number, size: number): Uint8Array => {
    const parts = chain(start, miniFat).map((s) => miniStream.subarray(s * miniSectorSize, (s + 1) * miniSectorSize));
    return Buffer.concat(parts).subarray(0, size);
  };

  return entries
    .filter((e) => e.type === 2)
    .map((e) => ({ name: e.name, data: e.size < miniCutoff ? readMini(e.start, e.size) : readChain(e.start, e.size) }));
}

const MATH = /<(?:[A-Za-z][\w.-]*:)?math[\s>][\s\S]*?<\/(?:[A-Za-z][\w.-]*:)?math>/;

/** MathML kept in an embedded object (UTF-8 or UTF-16 text in any stream), if any. */
export function findMathml(data: Uint8Array): string | undefined {
  const streams = isCompoundFile(data) ? cfbStreams(data).map((s) => s.data) : [data];
  for (const s of streams) {
    const buf = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
    // UTF-8 is searched as latin1 (one byte, one character) and decoded once found.
    const latin1 = MATH.exec(buf.toString('latin1'));
    if (latin1) return Buffer.from(latin1[0], 'latin1').toString('utf8');
    for (const text of [buf.toString('utf16le'), buf.subarray(1).toString('utf16le')]) {
      const m = MATH.exec(text);
      if (m) return m[0];
    }
  }
  return undefined;
}
