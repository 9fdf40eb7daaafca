/**
 * The media library: images and audio of questions and passages, stored by
 * the SHA-256 of their bytes in chunks (media-model.ts), detected by content
 * (detect.ts), SVG only sanitised (svg.ts), size-limited by configuration,
 * and read only by those who may read content that shows them.
 *
 * Who may read a file (anything else is 404, the same as a file that does not exist):
 * - staff who may see, in the bank, an item or passage that shows it
 *   (bank-access.ts), unless that item or passage is on a form of an exam
 *   that has not opened yet;
 * - those who may read such a form (exam managers of the exam's organisation
 *   or above, as for the forms themselves);
 * - staff of an organisation that uploaded it (a role there or above), while
 *   no form of an exam not yet open holds content showing it;
 * - a candidate sitting an exam (attempt in progress, window open), for the
 *   files that the revisions pinned by their own form show.
 */
import { createHash } from 'node:crypto';
import { AppError, Forbidden, NotFound, ValidationFailed, type ErrorDetail } from '../errors.js';
import { standing } from '../assembly/blueprint-service.js';
import { intersects, type BankAccess, type BankCaller, type Owner } from '../bank/bank-access.js';
import type { ContentMedia, ContentRevision } from '../bank/content-media.js';
import type { BankModels, ItemHead, StimulusDoc } from '../bank/item-model.js';
import type { Exam, ExamModel, Form, FormModel } from '../exams/exam-model.js';
import { formId } from '../exams/exam-service.js';
import { nativeOf } from '../infra/store.js';
import { attemptIdFor, type Attempt, type AttemptModel } from '../attempts/attempt-model.js';
import type { Access, Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import { detectType, kindOf, type MediaKind, type MediaType } from './detect.js';
import { CHUNK_BYTES, chunkId, parseRef, refKey, type MediaChunkDoc, type MediaChunkModel, type MediaDoc, type MediaModel } from './media-model.js';
import { sanitizeSvg } from './svg.js';

export class UnsupportedMedia extends AppError {
  override name = 'UnsupportedMedia';
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}

export class MediaTooLarge extends AppError {
  override name = 'MediaTooLarge';
  constructor(message: string, details?: ErrorDetail[]) {
    super(413, 'payload_too_large', message, details);
  }
}

export class RangeNotSatisfiable extends AppError {
  override name = 'RangeNotSatisfiable';
  constructor(size: number) {
    super(416, 'range_not_satisfiable', `The range starts beyond the end of the file (${size} bytes)`);
  }
}

export const HASH = /^[0-9a-f]{64}$/;

/** Where the library serves a file. */
export const mediaUrl = (hash: string) => `/api/media/${hash}`;

export interface MediaLimits {
  image: number;
  audio: number;
}

export interface StoredMedia {
  hash: string;
  type: MediaType;
  kind: MediaKind;
  bytes: number;
  /** True when these bytes were in the library already. */
  deduplicated: boolean;
}

export interface MediaDeps {
  Media: MediaModel;
  MediaChunk: MediaChunkModel;
  bank: Pick<BankModels, 'Item' | 'Stimulus'>;
  Exam: ExamModel;
  Form: FormModel;
  Attempt: AttemptModel;
  bankAccess: BankAccess;
  access: Access;
  orgs: Pick<OrgService, 'pathOf'>;
  limits: MediaLimits;
  /** @defaultValue `() => new Date()` */
  now?: () => Date;
}

/** Chunks per insert command: keeps a 20 MiB file to a few commands of about 4 MiB. */
const CHUNKS_PER_INSERT = 16;

// Sources the bank's sanitiser lets through (src/bank/sanitize.ts): double-quoted, raster, base64.
const DATA_IMAGE = /src="data:image\/(?:png|jpeg|gif|webp);base64,([A-Za-z0-9+/=\s]*)"/g;
const LIBRARY_REF = /\/api\/media\/([0-9a-f]{64})/g;

function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: unknown };
  return e.code === 11000;
}

/** Every string of a JSON-like value with its JSON pointer. */
function* strings(value: unknown, path = ''): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}/${i}`);
  else if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) yield* strings(v, `${path}/${k}`);
  }
}

/** `value` with every string replaced by `fn(string, pointer)`. */
function mapStrings(value: unknown, fn: (s: string, path: string) => string, path = ''): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, fn, `${path}/${i}`));
  if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, fn, `${path}/${k}`);
    return out;
  }
  return value;
}

/** The library file of an item's or passage's `audio` field (docs/item-types.md), if it has one. */
export function audioOf(value: unknown): string | null {
  const audio = (value as { audio?: { media?: unknown } } | null)?.audio;
  return typeof audio?.media === 'string' ? audio.media : null;
}

/** True when some string of the value holds an inline image or a library reference, or it has an `audio` field. */
export function showsMedia(value: unknown): boolean {
  if (audioOf(value) !== null) return true;
  for (const [, s] of strings(value)) if (s.includes('data:image/') || s.includes('/api/media/')) return true;
  return false;
}

export class MediaService implements ContentMedia {
  private readonly now: () => Date;

  constructor(private readonly deps: MediaDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  // ------------------------------------------------------------------ writing

  /**
   * Stores `bytes` for `orgId` (dedupe by hash: a file already there only
   * gains the organisation). Throws 415 for what the library does not keep,
   * 413 over the configured limit of its kind.
   */
  async put(input: Uint8Array, orgId: string, userId: string): Promise<StoredMedia> {
    const type = detectType(input);
    if (!type) throw new UnsupportedMedia('The file is none of PNG, JPEG, GIF, WebP, SVG, MP3, Ogg or M4A (read from its content, not its name or declared type)');
    const kind = kindOf(type);
    const limit = this.deps.limits[kind];
    if (input.length > limit) throw new MediaTooLarge(`The ${kind} is ${input.length} bytes; at most ${limit} are accepted`, [{ limit, bytes: input.length, kind }]);
    let bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (type === 'image/svg+xml') {
      const clean = sanitizeSvg(bytes);
      if (!clean) throw new UnsupportedMedia('The SVG has nothing drawable left once scripts, handlers and external references are removed');
      bytes = clean;
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    const media = nativeOf<MediaDoc>(this.deps.Media);
    const existing = await media.findOne({ _id: hash }, { projection: { _id: 1, orgs: 1 } });
    if (!existing) {
      await this.writeChunks(hash, bytes);
      const doc: MediaDoc = {
        _id: hash,
        type,
        bytes: bytes.length,
        chunks: Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES)),
        chunkBytes: CHUNK_BYTES,
        createdBy: userId,
        createdAt: this.now(),
        orgs: [orgId],
        refs: [],
      };
      try {
        await media.insertOne(doc);
        return { hash, type, kind, bytes: bytes.length, deduplicated: false };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    if (!existing?.orgs.includes(orgId)) await media.updateOne({ _id: hash }, { $addToSet: { orgs: orgId } });
    return { hash, type, kind, bytes: bytes.length, deduplicated: true };
  }

  /**
   * The chunks of a file. Chunks of one hash are always the same bytes, so
   * a duplicate (a racing upload of the same file) is as good as our own;
   * FerretDB stops an unordered batch at its first error, so after one the
   * batch is redone a chunk at a time.
   */
  private async writeChunks(hash: string, bytes: Buffer): Promise<void> {
    const chunks = nativeOf<MediaChunkDoc>(this.deps.MediaChunk);
    const count = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
    for (let first = 0; first < count; first += CHUNKS_PER_INSERT) {
      const docs: MediaChunkDoc[] = [];
      for (let n = first; n < Math.min(count, first + CHUNKS_PER_INSERT); n++) {
        docs.push({ _id: chunkId(hash, n), data: bytes.subarray(n * CHUNK_BYTES, (n + 1) * CHUNK_BYTES) });
      }
      try {
        await chunks.insertMany(docs, { ordered: false });
      } catch (err) {
        const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
        if (!isDuplicateKey(err) && !writeErrors) throw err;
        for (const doc of docs) {
          try {
            await chunks.insertOne(doc);
          } catch (e) {
            if (!isDuplicateKey(e)) throw e;
          }
        }
      }
    }
  }

  /** The media type of `bytes`, read from their content; null for a file the library does not keep (imports ask it about the files they carry). */
  typeOf(bytes: Uint8Array): MediaType | null {
    return detectType(bytes);
  }

  /** POST /api/media: an upload by an author, for the organisation `orgId` (or their only author organisation). */
  async upload(principal: Principal, bytes: Uint8Array, orgId?: string): Promise<StoredMedia> {
    const c = await this.deps.bankAccess.caller(principal);
    if (c.authorOrgs.size === 0) throw new Forbidden('Only authors add files to the media library');
    const owner = await this.deps.bankAccess.resolveOwner(c, orgId);
    return this.put(bytes, owner.ownerOrgId, principal.id);
  }

  /** Records that `ref` shows the files `hashes`. */
  async link(hashes: Iterable<string>, ref: ContentRevision): Promise<void> {
    const media = nativeOf<MediaDoc>(this.deps.Media);
    const key = refKey(ref);
    await Promise.all([...new Set(hashes)].map((hash) => media.updateOne({ _id: hash }, { $addToSet: { refs: key } })));
  }

  /**
   * Moves every `data:` image of `content` into the library, on behalf of
   * `orgId`; answers the content with library sources and the hashes it now shows.
   */
  async inline<T>(content: T, orgId: string, userId: string): Promise<{ content: T; stored: Set<string>; referenced: Map<string, string> }> {
    const found: { path: string; data: string }[] = [];
    const referenced = new Map<string, string>();
    for (const [path, s] of strings(content)) {
      if (s.includes('data:image/')) for (const m of s.matchAll(DATA_IMAGE)) found.push({ path, data: m[1]! });
      if (s.includes('/api/media/')) for (const m of s.matchAll(LIBRARY_REF)) if (!referenced.has(m[1]!)) referenced.set(m[1]!, path);
    }
    const stored = new Set<string>();
    if (found.length === 0) return { content, stored, referenced };
    const hashOf = new Map<string, string>();
    for (const f of found) {
      if (hashOf.has(f.data)) continue;
      const bytes = Buffer.from(f.data.replace(/\s+/g, ''), 'base64');
      let put: StoredMedia;
      try {
        put = await this.put(bytes, orgId, userId);
      } catch (err) {
        if (err instanceof AppError) {
          throw new ValidationFailed('An inline image cannot go into the media library', [{ instancePath: f.path, keyword: 'media', message: err.message }]);
        }
        throw err;
      }
      if (put.kind !== 'image') {
        throw new ValidationFailed('An inline image cannot go into the media library', [{ instancePath: f.path, keyword: 'media', message: `is ${put.type}, not an image` }]);
      }
      hashOf.set(f.data, put.hash);
      stored.add(put.hash);
    }
    const moved = (whole: string, data: string) => {
      const hash = hashOf.get(data);
      return hash ? `src="${mediaUrl(hash)}"` : whole;
    };
    const next = mapStrings(content, (s) => (s.includes('data:image/') ? s.replace(DATA_IMAGE, moved) : s)) as T;
    return { content: next, stored, referenced };
  }

  /** The bank's write-path hook (src/bank/content-media.ts). */
  async attach<T extends object>(principal: Principal, owner: Owner, revision: ContentRevision, content: T): Promise<T> {
    if (!showsMedia(content)) return content;
    const { content: next, stored, referenced } = await this.inline(content, owner.ownerOrgId, principal.id);
    // A library file named by its hash must be one the writer may read (or one this item or passage showed already):
    // knowing a hash must not be a way to a file of another department or of a form not yet open.
    for (const [hash, path] of referenced) {
      if (stored.has(hash)) continue;
      if (!(await this.mayUse(principal, hash, revision))) {
        throw new ValidationFailed('The content shows a media file you may not use', [{ instancePath: path, keyword: 'media', message: 'names no media file you may use' }]);
      }
    }
    // The recording: an audio file of the library, one the writer may use, like any file the text shows.
    const audio = audioOf(next);
    if (audio !== null) {
      const doc = await nativeOf<MediaDoc>(this.deps.Media).findOne({ _id: audio });
      const detail = (message: string) => new ValidationFailed('The audio is not a recording you may use', [{ instancePath: '/audio/media', keyword: 'media', message }]);
      if (!doc || !(await this.mayUse(principal, audio, revision))) throw detail('names no media file you may use');
      if (kindOf(doc.type) !== 'audio') throw detail(`is ${doc.type}, not an audio file`);
      referenced.set(audio, '/audio/media');
    }
    await this.link([...stored, ...referenced.keys()], revision);
    return next;
  }

  private async mayUse(principal: Principal, hash: string, revision: ContentRevision): Promise<boolean> {
    const doc = await nativeOf<MediaDoc>(this.deps.Media).findOne({ _id: hash });
    if (!doc) return false;
    if (doc.refs.some((r) => r.startsWith(`${revision.kind}:${revision.id}:`))) return true;
    return this.allowed(principal, doc);
  }

  // ------------------------------------------------------------------ reading

  /** The file's metadata when the caller may read it; 404 otherwise, exactly as for a file that does not exist. */
  async readable(principal: Principal, hash: string): Promise<MediaDoc> {
    if (!HASH.test(hash)) throw new NotFound('Media');
    const doc = await nativeOf<MediaDoc>(this.deps.Media).findOne({ _id: hash });
    if (!doc || !(await this.allowed(principal, doc))) throw new NotFound('Media');
    return doc;
  }

  /** Bytes `start..end` (inclusive) of a stored file, chunk by chunk. */
  async *bytes(doc: Pick<MediaDoc, '_id' | 'bytes' | 'chunkBytes'>, start = 0, end = doc.bytes - 1): AsyncGenerator<Buffer> {
    if (doc.bytes === 0 || end < start) return;
    const chunks = nativeOf<MediaChunkDoc>(this.deps.MediaChunk);
    const first = Math.floor(start / doc.chunkBytes);
    const last = Math.floor(end / doc.chunkBytes);
    for (let n = first; n <= last; n++) {
      const chunk = await chunks.findOne({ _id: chunkId(doc._id, n) });
      if (!chunk) throw new Error(`media ${doc._id}: chunk ${n} is missing`);
      const data = Buffer.isBuffer(chunk.data) ? chunk.data : Buffer.from((chunk.data as unknown as { buffer: Uint8Array }).buffer);
      const from = n === first ? start - n * doc.chunkBytes : 0;
      const to = n === last ? end - n * doc.chunkBytes + 1 : data.length;
      yield data.subarray(from, to);
    }
  }

  /**
   * The library files `content` shows, those the caller may read, by their
   * address (`/api/media/<hash>`), for exports that embed them (a Word
   * paper). Files the caller may not read, or that do not exist, are left
   * out, exactly as GET /api/media/:hash would answer 404.
   */
  async files(principal: Principal, content: unknown): Promise<Map<string, { type: string; data: Buffer }>> {
    const hashes = new Set<string>();
    for (const [, s] of strings(content)) if (s.includes('/api/media/')) for (const m of s.matchAll(LIBRARY_REF)) hashes.add(m[1]!);
    const out = new Map<string, { type: string; data: Buffer }>();
    for (const hash of hashes) {
      try {
        const doc = await this.readable(principal, hash);
        out.set(mediaUrl(hash), { type: doc.type, data: await this.content(doc) });
      } catch (err) {
        if (!(err instanceof NotFound)) throw err;
      }
    }
    return out;
  }

  /** The whole file as one buffer (tests, migrations). */
  async content(doc: Pick<MediaDoc, '_id' | 'bytes' | 'chunkBytes'>): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of this.bytes(doc)) parts.push(part);
    return Buffer.concat(parts);
  }

  /** The access rules of the module comment. */
  private async allowed(principal: Principal, doc: MediaDoc): Promise<boolean> {
    const refs = doc.refs.map(parseRef).filter((r) => r !== null);
    const itemIds = [...new Set(refs.filter((r) => r.kind === 'item').map((r) => r.id))];
    const stimulusIds = [...new Set(refs.filter((r) => r.kind === 'stimulus').map((r) => r.id))];
    if (await this.staffMayRead(principal, doc, itemIds, stimulusIds)) return true;
    return this.candidateMayRead(principal, new Set(doc.refs));
  }

  private async staffMayRead(principal: Principal, doc: MediaDoc, itemIds: string[], stimulusIds: string[]): Promise<boolean> {
    if (principal.roles.every((r) => r.role === 'candidate')) return false;
    const secured = await this.securedExams(itemIds, stimulusIds);
    // Those who may read the form read what it shows.
    if (secured.some((s) => standing(this.deps.access, principal, s.exam.orgPath) === 'manager')) return true;
    let c: BankCaller;
    try {
      c = await this.deps.bankAccess.caller(principal);
    } catch (err) {
      if (err instanceof Forbidden) return false;
      throw err;
    }
    const held = new Set(secured.flatMap((s) => [...s.ids]));
    const open = (kind: string, id: string) => !held.has(`${kind}:${id}`);
    const heads = await Promise.all(itemIds.filter((id) => open('item', id)).map((id) => this.deps.bank.Item.findById(id, { authorId: 1, sharing: 1, ownerOrgId: 1, orgPath: 1 }).lean<ItemHead>()));
    if (heads.some((h) => h && this.deps.bankAccess.canSee(c, h))) return true;
    const passages = await Promise.all(stimulusIds.filter((id) => open('stimulus', id)).map((id) => this.deps.bank.Stimulus.findById(id, { authorId: 1, sharing: 1, ownerOrgId: 1, orgPath: 1 }).lean<StimulusDoc>()));
    if (passages.some((p) => p && this.deps.bankAccess.canSee(c, p))) return true;
    if (held.size > 0) return false;
    for (const org of doc.orgs) {
      const path = await this.deps.orgs.pathOf(org);
      if (path && intersects(path, c.bankOrgs)) return true;
    }
    return false;
  }

  /**
   * Exams not yet open whose current forms hold one of these items or
   * passages, with which of them (`item:<id>`, `stimulus:<id>`) they hold.
   * One query over the forms (a pass over the collection on FerretDB).
   */
  private async securedExams(itemIds: string[], stimulusIds: string[]): Promise<{ exam: Exam; ids: Set<string> }[]> {
    if (itemIds.length === 0 && stimulusIds.length === 0) return [];
    const or: Record<string, unknown>[] = [];
    if (itemIds.length) or.push({ 'items.itemId': { $in: itemIds } });
    if (stimulusIds.length) or.push({ 'items.stimulusId': { $in: stimulusIds } });
    const forms = await this.deps.Form.find({ $or: or }, { examId: 1, assemblyId: 1, items: 1 }).lean<Pick<Form, 'examId' | 'assemblyId' | 'items'>[]>();
    if (forms.length === 0) return [];
    const now = this.now().getTime();
    const exams = await Promise.all([...new Set(forms.map((f) => f.examId))].map((id) => this.deps.Exam.findById(id, { candidateIds: 0 }).lean<Exam>()));
    const items = new Set(itemIds);
    const stimuli = new Set(stimulusIds);
    const out: { exam: Exam; ids: Set<string> }[] = [];
    for (const exam of exams) {
      if (!exam || now >= new Date(exam.opensAt).getTime()) continue;
      const ids = new Set<string>();
      for (const f of forms) {
        if (f.examId !== exam._id || f.assemblyId !== exam.assemblyId) continue;
        for (const pin of f.items) {
          if (items.has(pin.itemId)) ids.add(`item:${pin.itemId}`);
          if (pin.stimulusId && stimuli.has(pin.stimulusId)) ids.add(`stimulus:${pin.stimulusId}`);
        }
      }
      if (ids.size) out.push({ exam, ids });
    }
    return out;
  }

  /** A candidate sitting an exam now reads what the revisions pinned by their own form show. */
  private async candidateMayRead(principal: Principal, refs: Set<string>): Promise<boolean> {
    if (!principal.roles.some((r) => r.role === 'candidate') || refs.size === 0) return false;
    const now = this.now().getTime();
    const exams = await this.deps.Exam.find({ candidateIds: principal.id, status: 'published' }, { candidateIds: 0 }).lean<Exam[]>();
    for (const exam of exams) {
      if (now < new Date(exam.opensAt).getTime() || now >= new Date(exam.closesAt).getTime() || !exam.assemblyId) continue;
      const attempt = await nativeOf<Attempt>(this.deps.Attempt).findOne({ _id: attemptIdFor(exam._id, principal.id) }, { projection: { status: 1, formCode: 1 } });
      if (attempt?.status !== 'in_progress') continue;
      const form = await this.deps.Form.findById(formId(exam._id, exam.assemblyId, attempt.formCode), { items: 1 }).lean<Pick<Form, 'items'>>();
      for (const pin of form?.items ?? []) {
        if (refs.has(refKey({ kind: 'item', id: pin.itemId, revision: pin.revision }))) return true;
        if (pin.stimulusId && pin.stimulusRevision !== undefined && refs.has(refKey({ kind: 'stimulus', id: pin.stimulusId, revision: pin.stimulusRevision }))) return true;
      }
    }
    return false;
  }
}
