/**
 * What a file is, read from its bytes (magic numbers), never from the name or
 * the content type the client sent: a script renamed `photo.png` is not an
 * image. Only the formats the media library keeps are recognised.
 */

export const MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml', 'audio/mpeg', 'audio/ogg', 'audio/mp4'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

export type MediaKind = 'image' | 'audio';

export function kindOf(type: MediaType): MediaKind {
  return type.startsWith('audio/') ? 'audio' : 'image';
}

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** ISO base media brands of audio files (`.m4a`, `.m4b`, and the generic MP4 brands audio encoders write). */
const MP4_AUDIO_BRANDS = new Set(['M4A ', 'M4B ', 'mp41', 'mp42', 'isom', 'iso2', 'dash']);

/** An MPEG audio frame header: 11 sync bits, a known version, layer I-III, and a bitrate index that is not "bad". */
function mpegFrame(b: Uint8Array): boolean {
  if (b.length < 4 || b[0] !== 0xff || (b[1]! & 0xe0) !== 0xe0) return false;
  const version = (b[1]! >> 3) & 3;
  const layer = (b[1]! >> 1) & 3;
  const bitrate = b[2]! >> 4;
  const rate = (b[2]! >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrate !== 15 && rate !== 3;
}

/** Where an SVG document may start: after a BOM, white space, an XML declaration, comments and a doctype. */
const SVG_PROLOGUE = /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!DOCTYPE\s+svg[^[>]*(?:\[[\s\S]*?\])?\s*>\s*)?(?:<!--[\s\S]*?-->\s*)*<svg[\s>]/i;

/** Where the `<svg` root element of an SVG document starts (after its prologue), or -1. */
export function svgRootAt(text: string): number {
  const m = SVG_PROLOGUE.exec(text);
  return m ? m[0].length - 5 : -1;
}

/** The media type of `bytes`, or null when it is none the library keeps. */
export function detectType(bytes: Uint8Array): MediaType | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 'PNG\r\n\x1a\n')) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'image/gif';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'image/webp';
  if (ascii(bytes, 0, 'OggS')) return 'audio/ogg';
  if (ascii(bytes, 4, 'ftyp') && bytes.length >= 12) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    return MP4_AUDIO_BRANDS.has(brand) ? 'audio/mp4' : null;
  }
  if (ascii(bytes, 0, 'ID3') || mpegFrame(bytes)) return 'audio/mpeg';
  // Text last: only a document whose first element is <svg> (in UTF-8) counts.
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('utf8');
  if (SVG_PROLOGUE.test(head)) return 'image/svg+xml';
  return null;
}
