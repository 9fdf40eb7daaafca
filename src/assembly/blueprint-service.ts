import type { QueryFilter } from 'mongoose';
import { decodeCursor, encodeCursor } from '../bank/paging.js';
import { Forbidden, NotFound, ValidationFailed } from '../errors.js';
import type { Access, Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import type { Detail } from '../validation.js';
import { DEFAULT_CONSTRAINTS, type Blueprint, type BlueprintModel, type BlueprintSection } from './blueprint-model.js';
import type { BlueprintView, NewBlueprint } from '../contracts/exams.js';

// The body of POST /api/blueprints (checked against its JSON Schema by the route) and the answer: shared contracts.
export type { BlueprintView, NewBlueprint };

export function blueprintView(b: Blueprint): BlueprintView {
  const view: BlueprintView = {
    id: b._id,
    title: b.title,
    subject: b.subject,
    grade: b.grade,
    sections: b.sections.map(sectionView),
    constraints: { maxItemOverlap: b.constraints.maxItemOverlap, difficultyTolerance: b.constraints.difficultyTolerance },
    ownerOrgId: b.ownerOrgId,
    createdBy: b.createdBy,
    createdAt: b.createdAt.toISOString(),
  };
  if (b.durationMinutes !== undefined && b.durationMinutes !== null) view.durationMinutes = b.durationMinutes;
  return view;
}

/** Copies a section field by field, so stored documents and answers carry nothing unexpected. */
function sectionView(s: BlueprintSection): BlueprintSection {
  const out: BlueprintSection = {
    title: s.title,
    cells: s.cells.map((c) => ({ topic: c.topic, cognitiveLevel: c.cognitiveLevel, count: c.count })),
  };
  if (s.type) out.type = s.type;
  if (typeof s.pointsPerItem === 'number') out.pointsPerItem = s.pointsPerItem;
  if (typeof s.shuffleItems === 'boolean') out.shuffleItems = s.shuffleItems;
  if (typeof s.shuffleOptions === 'boolean') out.shuffleOptions = s.shuffleOptions;
  return out;
}

/**
 * The rules a JSON Schema cannot say: the sections must add up to at least
 * one item, and no section may name the same (topic, level) cell twice.
 */
export function blueprintProblems(sections: readonly BlueprintSection[]): Detail[] {
  const problems: Detail[] = [];
  let total = 0;
  sections.forEach((section, s) => {
    const seen = new Map<string, number>();
    section.cells.forEach((cell, k) => {
      total += cell.count;
      const key = `${cell.topic}\u0000${cell.cognitiveLevel}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, k);
      } else {
        problems.push({
          instancePath: `/sections/${s}/cells/${k}`,
          keyword: 'duplicateCell',
          message: `duplicates /sections/${s}/cells/${first} (topic ${cell.topic}, cognitive level ${cell.cognitiveLevel})`,
          params: { section: s, topic: cell.topic, cognitiveLevel: cell.cognitiveLevel, duplicateOf: first },
        });
      }
    });
  });
  if (total === 0) {
    problems.unshift({ instancePath: '/sections', keyword: 'totalItems', message: 'the sections add up to zero items', params: { total } });
  }
  return problems;
}

export interface BlueprintQuery {
  subject?: string;
  grade?: number;
  q?: string;
  /** @defaultValue 50 */
  limit?: number;
  cursor?: string;
}

/** How a caller stands towards an organisation path (owner org last). */
export type Standing = 'manager' | 'member' | 'none';

/**
 * `manager`: exam_manager at the owner organisation or above. `member`: some
 * other role there or above (they may know the thing exists: 403). `none`:
 * nothing to do with it (404, as if it did not exist).
 */
export function standing(access: Access, actor: Pick<Principal, 'roles'>, orgPath: readonly string[]): Standing {
  if (access.grantOrgs(actor, 'exam_manager').some((g) => orgPath.includes(g))) return 'manager';
  if (actor.roles.some((g) => orgPath.includes(g.orgId))) return 'member';
  return 'none';
}

/**
 * The organisation a new blueprint or exam belongs to: the one named by
 * `orgId` (the caller must be exam_manager there or above), or the only
 * organisation where the caller is exam_manager.
 */
export async function resolveManagerOrg(
  orgs: OrgService,
  access: Access,
  actor: Principal,
  orgId: string | undefined,
): Promise<{ orgId: string; path: string[] }> {
  const grants = access.grantOrgs(actor, 'exam_manager');
  if (grants.length === 0) throw new Forbidden('Only an exam manager may do this');
  if (orgId !== undefined) {
    const path = await orgs.pathOf(orgId);
    if (!path) throw new ValidationFailed('Unknown organisation', [{ instancePath: '/orgId', message: 'no such organisation' }]);
    if (!grants.some((g) => path.includes(g))) throw new Forbidden('You are not an exam manager of that organisation');
    return { orgId, path };
  }
  if (grants.length > 1) {
    throw new ValidationFailed('Say which organisation this belongs to', [
      { instancePath: '/orgId', message: 'is required: you are an exam manager at several organisations' },
    ]);
  }
  const path = await orgs.pathOf(grants[0]!);
  if (!path) throw new NotFound('Organisation');
  return { orgId: grants[0]!, path };
}

/** Blueprints ("ma trận đề"): stored once, immutable, used by exams of the owner organisation's subtree. */
export class BlueprintService {
  constructor(
    private readonly Blueprint: BlueprintModel,
    private readonly orgs: OrgService,
    private readonly access: Access,
  ) {}

  async create(actor: Principal, input: NewBlueprint): Promise<Blueprint> {
    const problems = blueprintProblems(input.sections);
    if (problems.length) throw new ValidationFailed('The blueprint is not valid', problems);
    const owner = await resolveManagerOrg(this.orgs, this.access, actor, input.orgId);
    const doc = new this.Blueprint({
      title: input.title,
      subject: input.subject,
      grade: input.grade,
      durationMinutes: input.durationMinutes,
      sections: input.sections.map(sectionView),
      constraints: { ...DEFAULT_CONSTRAINTS, ...input.constraints },
      ownerOrgId: owner.orgId,
      orgPath: owner.path,
      createdBy: actor.id,
    });
    await doc.save();
    return doc.toObject();
  }

  /** Readable by exam managers of the owner organisation, its ancestors and its subtree. */
  async get(actor: Principal, id: string): Promise<Blueprint> {
    const blueprint = await this.Blueprint.findById(id).lean();
    if (!blueprint) throw new NotFound('Blueprint');
    if (await this.mayUse(actor, blueprint)) return blueprint;
    if (standing(this.access, actor, blueprint.orgPath) === 'member') throw new Forbidden('Only exam managers may read blueprints');
    throw new NotFound('Blueprint');
  }

  /** True when the caller manages the owner organisation, an ancestor of it, or an organisation below it. */
  async mayUse(actor: Principal, blueprint: Pick<Blueprint, 'orgPath' | 'ownerOrgId'>): Promise<boolean> {
    const grants = this.access.grantOrgs(actor, 'exam_manager');
    if (grants.some((g) => blueprint.orgPath.includes(g))) return true;
    for (const g of grants) {
      const path = await this.orgs.pathOf(g);
      if (path?.includes(blueprint.ownerOrgId)) return true;
    }
    return false;
  }

  /**
   * The blueprints the caller may use ({@link mayUse}): those of organisations
   * where they are exam_manager, below them, and above them. Creation order,
   * `limit` at a time; `q` matches part of the title, ignoring case.
   */
  async list(actor: Principal, query: BlueprintQuery): Promise<{ blueprints: Blueprint[]; nextCursor: string | null }> {
    const grants = this.access.grantOrgs(actor, 'exam_manager');
    if (grants.length === 0) throw new Forbidden('Only exam managers read blueprints');
    const above = new Set<string>();
    for (const g of grants) for (const o of (await this.orgs.pathOf(g)) ?? []) above.add(o);
    const filter: Record<string, unknown> = { $or: [{ orgPath: { $in: grants } }, { ownerOrgId: { $in: [...above] } }] };
    if (query.subject !== undefined) filter.subject = query.subject.normalize('NFC');
    if (query.grade !== undefined) filter.grade = query.grade;
    if (query.cursor !== undefined) filter._id = { $gt: decodeCursor(query.cursor) };
    const limit = query.limit ?? 50;
    let docs = await this.Blueprint.find(filter as QueryFilter<Blueprint>).sort({ _id: 1 }).limit(query.q ? 0 : limit + 1).lean();
    if (query.q) {
      const q = query.q.normalize('NFC').toLocaleLowerCase('vi');
      docs = docs.filter((b) => b.title.toLocaleLowerCase('vi').includes(q)).slice(0, limit + 1);
    }
    const page = docs.slice(0, limit);
    return { blueprints: page, nextCursor: docs.length > limit ? encodeCursor(page[page.length - 1]!._id) : null };
  }

  /** For services that already checked access. */
  async byId(id: string): Promise<Blueprint | null> {
    return this.Blueprint.findById(id).lean();
  }
}
