import { Schema, type Connection, type Model } from 'mongoose';
import type { MediaType } from './detect.js';

/**
 * The media library in two plain collections, GridFS-like but made of what
 * FerretDB 1.24 does well (writes and point reads by `_id`; it has no GridFS
 * commands of its own and serves no other filter from an index):
 *
 * - `media`: one document per file, `_id` the SHA-256 of its bytes (hex), so
 *   the same bytes are stored once whoever uploads them. Written after every
 *   chunk is stored: a file whose metadata exists is complete.
 * - `media_chunks`: the bytes in chunks of at most {@link CHUNK_BYTES}, `_id`
 *   `${hash}:${n}` (n from 0), so a file or any byte range of it is a few
 *   point reads. Chunks of a hash are always the same bytes, so two uploads
 *   racing on one file write the same documents and either may win.
 */

/** 255 KiB: the chunk size GridFS uses, well under any document limit. */
export const CHUNK_BYTES = 255 * 1024;

export interface MediaDoc {
  /** SHA-256 of the stored bytes, lower-case hex. */
  _id: string;
  type: MediaType;
  bytes: number;
  chunks: number;
  chunkBytes: number;
  /** Who first stored it. */
  createdBy: string;
  createdAt: Date;
  /** Every organisation that uploaded these bytes (or owns content they were moved out of). */
  orgs: string[];
  /**
   * Content that references the file, as `item:<itemId>:<revision>` and
   * `stimulus:<stimulusId>:<revision>`; only ever grows (forms pin old revisions).
   */
  refs: string[];
}

export interface MediaChunkDoc {
  /** `${hash}:${n}` */
  _id: string;
  data: Buffer;
}

const mediaSchema = new Schema<MediaDoc>(
  {
    _id: { type: String, required: true },
    type: { type: String, required: true },
    bytes: { type: Number, required: true },
    chunks: { type: Number, required: true },
    chunkBytes: { type: Number, required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    orgs: { type: [String], default: [] },
    refs: { type: [String], default: [] },
  },
  { versionKey: false },
);

const chunkSchema = new Schema<MediaChunkDoc>({ _id: { type: String, required: true }, data: { type: Buffer, required: true } }, { versionKey: false });

export type MediaModel = Model<MediaDoc>;
export type MediaChunkModel = Model<MediaChunkDoc>;

export function createMediaModels(conn: Connection): { Media: MediaModel; MediaChunk: MediaChunkModel } {
  return {
    Media: conn.model<MediaDoc>('Media', mediaSchema, 'media'),
    MediaChunk: conn.model<MediaChunkDoc>('MediaChunk', chunkSchema, 'media_chunks'),
  };
}

export const chunkId = (hash: string, n: number) => `${hash}:${n}`;

/** The reference of one revision of content to the files it shows. */
export type ContentRef = { kind: 'item' | 'stimulus'; id: string; revision: number };

export const refKey = (ref: ContentRef) => `${ref.kind}:${ref.id}:${ref.revision}`;

export function parseRef(key: string): ContentRef | null {
  const m = /^(item|stimulus):([^:]+):(\d+)$/.exec(key);
  return m ? { kind: m[1] as ContentRef['kind'], id: m[2]!, revision: Number(m[3]) } : null;
}
