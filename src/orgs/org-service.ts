import { Conflict, Forbidden, NotFound, ValidationFailed } from '../errors.js';
import type { OrgView } from '../contracts/people.js';
import type { Org, OrgKind, OrgModel } from './org-model.js';
import type { Access, Principal } from './access.js';

export interface NewOrg {
  code: string;
  name: string;
  kind: OrgKind;
  parentId: string | null;
}

export type { OrgView } from '../contracts/people.js';

export function orgView(org: Org): OrgView {
  return {
    id: org._id,
    code: org.code,
    name: org.name,
    kind: org.kind,
    parentId: org.parentId,
    path: org.path,
    createdAt: org.createdAt.toISOString(),
  };
}

/** The organisation tree: ministry → departments → offices → schools, any depth. */
export class OrgService {
  /** Paths never change once an organisation exists, so they are cached for good. */
  private readonly paths = new Map<string, string[]>();

  constructor(private readonly Org: OrgModel) {}

  async pathOf(orgId: string): Promise<string[] | null> {
    const cached = this.paths.get(orgId);
    if (cached) return cached;
    const org = await this.Org.findById(orgId, { path: 1 }).lean();
    if (!org) return null;
    this.paths.set(orgId, org.path);
    return org.path;
  }

  async get(orgId: string): Promise<Org> {
    const org = await this.Org.findById(orgId).lean();
    if (!org) throw new NotFound('Organisation');
    return org;
  }

  async children(parentId: string | null): Promise<Org[]> {
    return this.Org.find({ parentId }).sort({ code: 1 }).limit(10000).lean();
  }

  private root: string | null = null;

  /** The root organisation's id (it never changes once it exists). */
  async rootId(): Promise<string | null> {
    this.root ??= (await this.Org.findOne({ parentId: null }, { _id: 1 }).lean())?._id ?? null;
    return this.root;
  }

  /** Creates the root organisation once; returns the existing one otherwise. */
  async ensureRoot(code: string, name: string): Promise<Org> {
    const existing = await this.Org.findOne({ parentId: null }).lean();
    if (existing) return existing;
    const root = new this.Org({ code, name, kind: 'ministry', parentId: null });
    root.path = [root._id];
    await root.save();
    return root.toObject();
  }

  async create(actor: Principal, access: Access, input: NewOrg): Promise<Org> {
    if (input.parentId === null) throw new ValidationFailed('A new organisation needs a parent', [
      { instancePath: '/parentId', message: 'must name an existing organisation' },
    ]);
    const parentPath = await this.pathOf(input.parentId);
    if (!parentPath) {
      throw new ValidationFailed('Unknown parent organisation', [
        { instancePath: '/parentId', message: 'no such organisation' },
      ]);
    }
    if (!(await access.holds(actor, 'admin', input.parentId))) throw new Forbidden('Only an administrator of the parent organisation may add to it');
    if (input.kind === 'ministry') {
      throw new ValidationFailed('Only the root is a ministry', [{ instancePath: '/kind', message: 'must not be ministry below the root' }]);
    }
    const org = new this.Org({ ...input });
    org.path = [...parentPath, org._id];
    try {
      await org.save();
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw new Conflict('duplicate_code', `Organisation code ${input.code} is taken`);
      throw err;
    }
    return org.toObject();
  }
}
