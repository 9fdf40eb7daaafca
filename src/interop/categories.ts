import type { ItemProvenance } from '../bank/item-types.js';
import type { ItemDraft } from './model.js';

/**
 * Category trees → topics and tags, for every format whose drafts carry a
 * category path in `item.provenance.source.categoryPath` (Moodle XML
 * categories, GIFT `$CATEGORY:`): the import's `topicMap` names the topic of a
 * path (`A/B`, segments joined by `/`) or of a leaf (`B`); otherwise the leaf
 * becomes the topic as a slug. The categories above the leaf become tags.
 * A topic the file itself gives (a `topic:` tag) wins over its category.
 */

/** A mapping from category path (`A/B`) or leaf name (`B`) to a topic slug. */
export type TopicMap = Readonly<Record<string, string>>;

/** Moodle's context prefixes and its hidden root category, which are not part of a bank's own tree. */
const CONTEXT_SEGMENT = /^\$(course|system|module|cat\d+)\$$/i;

/**
 * The category path of a Moodle category string (`$course$/top/A/B`): the
 * segments after the context and `top`, with `//` read as a `/` inside a name
 * (how Moodle writes a slash in a category name).
 */
export function categorySegments(path: string): string[] {
  const segments = path
    .split(/(?<!\/)\/(?!\/)/)
    .map((s) => s.replace(/\/\//g, '/').normalize('NFC').trim())
    .filter((s) => s !== '');
  while (segments.length && CONTEXT_SEGMENT.test(segments[0]!)) segments.shift();
  if (segments[0]?.toLowerCase() === 'top') segments.shift();
  return segments;
}

/** A topic slug of a category name: lower case ASCII words joined by `-` (Vietnamese đ → d, diacritics dropped). */
export function topicSlug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
}

/** Checks a topicMap given with an import: every value a topic slug. Answers the first bad entry, if any. */
export function topicMapProblem(map: Record<string, unknown>): string | null {
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(v) || v.length > 100) return `topicMap["${k}"] must be a topic slug (a-z, 0-9 and -)`;
  }
  return null;
}

/**
 * The draft with its topic and tags filled from its category path. Drafts
 * without a path, or with a topic of their own, keep their topic.
 */
export function applyCategory<T extends ItemDraft>(item: T, topicMap: TopicMap = {}): T {
  const path = (item.provenance as ItemProvenance | undefined)?.source?.categoryPath;
  if (!path?.length) return item;
  const leaf = path[path.length - 1]!;
  const mapped = topicMap[path.join('/')] ?? topicMap[leaf];
  const topic = item.topic ?? mapped ?? (topicSlug(leaf) || undefined);
  const above = path.slice(0, -1).map((s) => [...s].slice(0, 100).join(''));
  const tags = [...new Set([...(item.tags ?? []), ...above])].slice(0, 50);
  return { ...item, ...(topic !== undefined ? { topic } : {}), ...(tags.length ? { tags } : {}) };
}
