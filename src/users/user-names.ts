/**
 * The names of people as staff screens show them (monitor rows, item authors
 * and reviewers), for one viewer at a time. A name is shown only to someone
 * who shares a branch of the organisation tree with its owner: the viewer
 * themselves, or a viewer with a staff role at an organisation at, above or
 * below one where the person holds a role. A user of another department stays
 * an id, so a bank item shared nationally does not name its author to every
 * school, and a search by name finds nobody the searcher could not see.
 *
 * Reads are point reads by `_id` at bounded concurrency (a `$in` over the
 * users would make FerretDB scan the collection), and each user is cached for
 * a short while: the monitor asks for the whole roster every few seconds. A
 * change through this process is seen at once; other processes see it when
 * their entry expires (`ttlMs`).
 */
import type { PersonName } from '../contracts/people.js';
import { nativeOf, readByIds } from '../infra/store.js';
import type { Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import type { RoleGrant, UserModel } from './user-model.js';

export type { PersonName } from '../contracts/people.js';

interface NameDoc {
  _id: string;
  displayName: string;
  username: string;
  studentId?: string;
  roles: RoleGrant[];
}

export interface UserNamesOptions {
  /** How long a user read stays in memory, in ms (a renamed user shows the new name after this). @defaultValue 60000 */
  ttlMs?: number;
  /** Most users kept; the cache starts afresh beyond it. @defaultValue 50000 */
  maxEntries?: number;
  now?: () => number;
}

export class UserNames {
  private readonly cache = new Map<string, { at: number; doc: NameDoc | null }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Users read from the database (tests). */
  readonly stats = { reads: 0 };

  constructor(
    private readonly User: UserModel,
    private readonly orgs: OrgService,
    options: UserNamesOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 50_000;
    this.now = options.now ?? Date.now;
  }

  /** The users with these ids whose names `viewer` may see, by id; others are absent. */
  async forViewer(viewer: Pick<Principal, 'id' | 'roles'>, ids: Iterable<string>): Promise<Map<string, PersonName>> {
    const wanted = [...new Set([...ids].filter((id) => typeof id === 'string' && id.length > 0))];
    const out = new Map<string, PersonName>();
    if (wanted.length === 0) return out;
    const docs = await this.read(wanted);
    const branch = await this.branchOf(viewer);
    const seen = new Map<string, boolean>();
    for (const id of wanted) {
      const doc = docs.get(id);
      if (!doc) continue;
      if (id !== viewer.id && !(await this.onBranch(doc, branch, seen))) continue;
      out.set(id, { displayName: doc.displayName, username: doc.username, ...(doc.studentId ? { studentId: doc.studentId } : {}) });
    }
    return out;
  }

  /**
   * Each view with `people`: id → name of the people `idsOf` finds in it that
   * the viewer may see (an empty object when none). One read for all views.
   */
  async attach<T extends object>(viewer: Pick<Principal, 'id' | 'roles'>, views: readonly T[], idsOf: (view: T) => (string | undefined)[]): Promise<(T & { people: Record<string, PersonName> })[]> {
    const all = await this.forViewer(viewer, views.flatMap((v) => idsOf(v).filter((id): id is string => typeof id === 'string')));
    return views.map((v) => {
      const people: Record<string, PersonName> = {};
      for (const id of idsOf(v)) {
        const name = id ? all.get(id) : undefined;
        if (id && name) people[id] = name;
      }
      return { ...v, people };
    });
  }

  /** Drops a user from this process's cache (their name or roles changed). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  /** The organisations where the viewer holds a staff role (candidates see only themselves). */
  private async branchOf(viewer: Pick<Principal, 'roles'>): Promise<{ orgs: Set<string>; paths: string[][] }> {
    const orgs = new Set(viewer.roles.filter((g) => g.role !== 'candidate').map((g) => g.orgId));
    const paths: string[][] = [];
    for (const orgId of orgs) {
      const path = await this.orgs.pathOf(orgId);
      if (path) paths.push(path);
    }
    return { orgs, paths };
  }

  /** A role of the person at or below one of the viewer's organisations, or above one (on the viewer's own path). */
  private async onBranch(doc: NameDoc, branch: { orgs: Set<string>; paths: string[][] }, seen: Map<string, boolean>): Promise<boolean> {
    if (branch.orgs.size === 0) return false;
    for (const g of doc.roles ?? []) {
      let ok = seen.get(g.orgId);
      if (ok === undefined) {
        const path = await this.orgs.pathOf(g.orgId);
        ok = path !== null && (path.some((o) => branch.orgs.has(o)) || branch.paths.some((p) => p.includes(g.orgId)));
        seen.set(g.orgId, ok);
      }
      if (ok) return true;
    }
    return false;
  }

  private async read(ids: string[]): Promise<Map<string, NameDoc>> {
    const now = this.now();
    const out = new Map<string, NameDoc>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.cache.get(id);
      if (hit && now - hit.at < this.ttlMs) {
        if (hit.doc) out.set(id, hit.doc);
      } else missing.push(id);
    }
    if (missing.length === 0) return out;
    const read = await readByIds(nativeOf<NameDoc>(this.User), missing, { displayName: 1, username: 1, studentId: 1, roles: 1 });
    this.stats.reads += missing.length;
    if (this.cache.size + missing.length > this.maxEntries) this.cache.clear();
    for (const id of missing) {
      const doc = read.get(id) ?? null;
      this.cache.set(id, { at: now, doc });
      if (doc) out.set(id, doc);
    }
    return out;
  }
}
