/**
 * Moves the `data:` images of content stored before the media library into
 * it (`npm run media:migrate`): every item revision, passage and passage
 * revision whose HTML holds one gets `/api/media/<hash>` sources instead, and
 * the library records that revision as showing the file (what decides who
 * reads it). Revisions are rewritten in place: the picture is byte for byte
 * the same, only where it is kept changes, so forms that pin a revision show
 * what they showed. Idempotent: a second run finds nothing to move.
 */
import type { mongo } from 'mongoose';
import type { BankModels, RevisionDoc, StimulusDoc, StimulusRevisionDoc } from '../bank/item-model.js';
import { nativeOf } from '../infra/store.js';
import type { ContentRevision } from '../bank/content-media.js';
import type { MediaService } from './media-service.js';

export interface MigrationReport {
  /** Documents whose inline images moved, per collection. */
  itemRevisions: number;
  stimuli: number;
  stimulusRevisions: number;
  /** Library files the moved images became (each hash once). */
  files: number;
  /** Documents left as they were, with why (an image over the limit, bytes that are no image). */
  skipped: { collection: string; id: string; reason: string }[];
}

export interface MigrationDeps {
  models: Pick<BankModels, 'ItemRevision' | 'Stimulus' | 'StimulusRevision'>;
  media: Pick<MediaService, 'inline' | 'link'>;
  /** Cached revisions (the bank's search index) are replaced with the moved ones. */
  cacheRevisions?: (docs: RevisionDoc[]) => Promise<void>;
  /** Progress lines. */
  log?: (line: string) => void;
}

type Owned = { _id: string; ownerOrgId: string; authorId: string };

/** Ids of the documents of a collection whose strings hold a `data:` image: one pass, nothing kept but the ids. */
async function withInlineImages(collection: mongo.Collection<Owned>): Promise<string[]> {
  const ids: string[] = [];
  for await (const doc of collection.find({}, { batchSize: 500 })) if (JSON.stringify(doc).includes('data:image/')) ids.push(doc._id);
  return ids;
}

export async function migrateInlineMedia(deps: MigrationDeps): Promise<MigrationReport> {
  const report: MigrationReport = { itemRevisions: 0, stimuli: 0, stimulusRevisions: 0, files: 0, skipped: [] };
  const files = new Set<string>();
  const log = deps.log ?? (() => {});

  async function move<D extends Owned>(name: keyof Omit<MigrationReport, 'files' | 'skipped'>, collection: mongo.Collection<D>, refOf: (doc: D) => ContentRevision, done?: (doc: D) => Promise<void>) {
    const ids = await withInlineImages(collection as unknown as mongo.Collection<Owned>);
    log(`${collection.collectionName}: ${ids.length} with inline images`);
    for (const id of ids) {
      const doc = (await collection.findOne({ _id: id } as never)) as D | null;
      if (!doc) continue;
      let moved: { content: D; stored: Set<string>; referenced: Map<string, string> };
      try {
        moved = await deps.media.inline(doc, doc.ownerOrgId, doc.authorId);
      } catch (err) {
        report.skipped.push({ collection: collection.collectionName, id, reason: err instanceof Error ? `${err.message}: ${JSON.stringify((err as { details?: unknown }).details ?? [])}` : String(err) });
        continue;
      }
      if (moved.stored.size === 0) continue;
      await deps.media.link([...moved.stored, ...moved.referenced.keys()], refOf(doc));
      // Replaced only as it was read: a passage edited meanwhile is left for the next run.
      const res = await collection.replaceOne({ _id: id, ...('revision' in doc ? { revision: doc.revision } : {}) } as never, moved.content as never);
      if (res.matchedCount !== 1) continue;
      for (const h of moved.stored) files.add(h);
      report[name]++;
      await done?.(moved.content);
    }
  }

  await move('itemRevisions', nativeOf<RevisionDoc>(deps.models.ItemRevision), (d) => ({ kind: 'item', id: d.itemId, revision: d.revision }), async (d) => deps.cacheRevisions?.([d]));
  await move('stimuli', nativeOf<StimulusDoc>(deps.models.Stimulus), (d) => ({ kind: 'stimulus', id: d._id, revision: d.revision ?? 1 }));
  await move('stimulusRevisions', nativeOf<StimulusRevisionDoc>(deps.models.StimulusRevision), (d) => ({ kind: 'stimulus', id: d.stimulusId, revision: d.revision }));
  report.files = files.size;
  return report;
}
