import type { Principal } from '../orgs/access.js';
import type { Owner } from './bank-access.js';

/** One revision of an item or a passage, as the media library records who shows a file. */
export interface ContentRevision {
  kind: 'item' | 'stimulus';
  id: string;
  revision: number;
}

/**
 * The media library as the bank's write path sees it (src/media/ implements
 * it; the bank imports nothing from there). Called with a revision's content
 * just before it is stored: `data:` images move into the library and the
 * content comes back with `/api/media/<hash>` sources, and every library
 * file the content shows is recorded as used by that revision (what decides
 * who may read the file). Throws a 4xx AppError for an inline image that is
 * too large or not an image, or a library file the writer may not use.
 */
export interface ContentMedia {
  attach<T extends object>(principal: Principal, owner: Owner, revision: ContentRevision, content: T): Promise<T>;
}
