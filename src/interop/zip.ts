import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { MAX_UNZIPPED_BYTES, MAX_ZIP_ENTRIES, TooLarge, UnreadableFile, writeChunk } from './model.js';

/** True when the bytes start like a zip archive (QTI packages, xlsx). */
export function isZip(input: Uint8Array): boolean {
  return input.length >= 4 && input[0] === 0x50 && input[1] === 0x4b && (input[2] === 3 || input[2] === 5) && (input[3] === 4 || input[3] === 6);
}

/**
 * Unpacks a zip in memory with limits: at most {@link MAX_ZIP_ENTRIES}
 * entries and {@link MAX_UNZIPPED_BYTES} declared bytes in all, and each entry
 * inflates into a buffer of its declared size, so a zip bomb that lies about
 * its sizes cannot grow past them either.
 */
export function safeUnzip(input: Uint8Array, what = 'The archive'): Map<string, Uint8Array> {
  let entries = 0;
  let total = 0;
  let tooBig: string | null = null;
  let files: ReturnType<typeof unzipSync>;
  try {
    files = unzipSync(input, {
      filter: (f) => {
        entries++;
        total += f.originalSize;
        if (entries > MAX_ZIP_ENTRIES) tooBig = `${what} has more than ${MAX_ZIP_ENTRIES} entries`;
        else if (total > MAX_UNZIPPED_BYTES) tooBig = `${what} unpacks to more than ${MAX_UNZIPPED_BYTES / 1024 / 1024} MiB`;
        if (f.compression !== 0 && f.compression !== 8) throw new UnreadableFile(`${what} uses an unsupported compression method (${f.compression}) for ${f.name}`);
        return tooBig === null && !f.name.endsWith('/');
      },
    });
  } catch (err) {
    if (err instanceof UnreadableFile) throw err;
    throw new UnreadableFile(`${what} is not a readable zip archive: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (tooBig) throw new TooLarge(tooBig);
  const out = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(files)) out.set(name.replace(/\\/g, '/'), data);
  return out;
}

/** Packs entries back into a zip (stored, no compression) — used to hand a checked xlsx to exceljs. */
export function repack(files: Map<string, Uint8Array>): Buffer {
  const zippable: Zippable = {};
  for (const [name, data] of files) zippable[name] = [data, { level: 0 }];
  return Buffer.from(zipSync(zippable));
}

const U16 = 0xffff;
const U32 = 0xffffffff;

function dosDateTime(d: Date): { date: number; time: number } {
  return {
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}

interface CentralEntry {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
  method: number;
  flags: number;
}

/**
 * A streaming zip writer: entries go out one after the other as they are
 * added, only the central directory (a few dozen bytes per entry) stays in
 * memory, and ZIP64 records are written when an archive has more than 65,535
 * entries or passes 4 GiB — an export of 100,000 QTI items needs them.
 */
export class ZipWriter {
  private offset = 0;
  private count = 0;
  /** Central directory records, packed into blocks so 100,000 entries are a few MiB, not 100,000 objects. */
  private readonly blocks: Buffer[] = [];
  private pending: Buffer[] = [];
  private readonly stamp = dosDateTime(new Date());

  constructor(private readonly out: Writable) {}

  private async emit(chunk: Buffer): Promise<void> {
    await writeChunk(this.out, chunk);
    this.offset += chunk.length;
  }

  private localHeader(name: Buffer, flags: number, method: number, crc: number, compressed: number, size: number): Buffer {
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(flags, 6);
    h.writeUInt16LE(method, 8);
    h.writeUInt16LE(this.stamp.time, 10);
    h.writeUInt16LE(this.stamp.date, 12);
    h.writeUInt32LE(crc, 14);
    h.writeUInt32LE(compressed, 18);
    h.writeUInt32LE(size, 22);
    h.writeUInt16LE(name.length, 26);
    h.writeUInt16LE(0, 28);
    return h;
  }

  private record(e: CentralEntry): void {
    const big = e.offset >= U32 || e.size >= U32 || e.compressed >= U32;
    const extra = big ? Buffer.alloc(4 + 24) : Buffer.alloc(0);
    if (big) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(e.size), 4);
      extra.writeBigUInt64LE(BigInt(e.compressed), 12);
      extra.writeBigUInt64LE(BigInt(e.offset), 20);
    }
    const h = Buffer.alloc(46);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE(big ? 45 : 20, 4);
    h.writeUInt16LE(big ? 45 : 20, 6);
    h.writeUInt16LE(e.flags, 8);
    h.writeUInt16LE(e.method, 10);
    h.writeUInt16LE(this.stamp.time, 12);
    h.writeUInt16LE(this.stamp.date, 14);
    h.writeUInt32LE(e.crc, 16);
    h.writeUInt32LE(big ? U32 : e.compressed, 20);
    h.writeUInt32LE(big ? U32 : e.size, 24);
    h.writeUInt16LE(e.name.length, 28);
    h.writeUInt16LE(extra.length, 30);
    h.writeUInt32LE(big ? U32 : e.offset, 42);
    this.pending.push(h, e.name, extra);
    this.count++;
    if (this.pending.length >= 3 * 1024) this.seal();
  }

  private seal(): void {
    if (this.pending.length) this.blocks.push(Buffer.concat(this.pending));
    this.pending = [];
  }

  /** Adds one entry from memory (an item file: small). */
  async add(path: string, content: string | Uint8Array): Promise<void> {
    const raw = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    const deflated = deflateRawSync(raw);
    const method = deflated.length < raw.length ? 8 : 0;
    const body = method === 8 ? deflated : raw;
    const name = Buffer.from(path, 'utf8');
    const crc = crc32(raw);
    const offset = this.offset;
    await this.emit(this.localHeader(name, 0x0800, method, crc, body.length, raw.length));
    await this.emit(name);
    await this.emit(body);
    this.record({ name, crc, compressed: body.length, size: raw.length, offset, method, flags: 0x0800 });
  }

  /** Adds one entry streamed from a file (sizes follow in a data descriptor). */
  async addFile(path: string, file: string): Promise<void> {
    const name = Buffer.from(path, 'utf8');
    const offset = this.offset;
    const flags = 0x0808;
    await this.emit(this.localHeader(name, flags, 8, 0, 0, 0));
    await this.emit(name);
    let crc = 0;
    let size = 0;
    let compressed = 0;
    const deflate = createDeflateRaw();
    const source = createReadStream(file);
    source.on('data', (chunk) => {
      const b = chunk as Buffer;
      crc = crc32(b, crc);
      size += b.length;
    });
    source.on('error', (err) => deflate.destroy(err));
    source.pipe(deflate);
    for await (const chunk of deflate) {
      const b = chunk as Buffer;
      compressed += b.length;
      await this.emit(b);
    }
    const zip64 = size >= U32 || compressed >= U32;
    const d = Buffer.alloc(zip64 ? 24 : 16);
    d.writeUInt32LE(0x08074b50, 0);
    d.writeUInt32LE(crc, 4);
    if (zip64) {
      d.writeBigUInt64LE(BigInt(compressed), 8);
      d.writeBigUInt64LE(BigInt(size), 16);
    } else {
      d.writeUInt32LE(compressed, 8);
      d.writeUInt32LE(size, 12);
    }
    await this.emit(d);
    this.record({ name, crc, compressed, size, offset, method: 8, flags });
  }

  /** Writes the central directory (with ZIP64 records when needed). Does not end the stream. */
  async finish(): Promise<void> {
    const start = this.offset;
    this.seal();
    for (const block of this.blocks) await this.emit(block);
    const size = this.offset - start;
    const count = this.count;
    if (count >= U16 || start >= U32 || size >= U32) {
      const at = this.offset;
      const rec = Buffer.alloc(56);
      rec.writeUInt32LE(0x06064b50, 0);
      rec.writeBigUInt64LE(44n, 4);
      rec.writeUInt16LE(45, 12);
      rec.writeUInt16LE(45, 14);
      rec.writeBigUInt64LE(BigInt(count), 24);
      rec.writeBigUInt64LE(BigInt(count), 32);
      rec.writeBigUInt64LE(BigInt(size), 40);
      rec.writeBigUInt64LE(BigInt(start), 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      loc.writeBigUInt64LE(BigInt(at), 8);
      loc.writeUInt32LE(1, 16);
      await this.emit(Buffer.concat([rec, loc]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, U16), 8);
    end.writeUInt16LE(Math.min(count, U16), 10);
    end.writeUInt32LE(Math.min(size, U32), 12);
    end.writeUInt32LE(Math.min(start, U32), 16);
    await this.emit(end);
  }
}
