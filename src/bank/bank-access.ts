/**
 * Who may do what in the question bank: the caller's bank roles, the sharing
 * rules, and the right to write, review and read keys. Every part of the bank
 * (items, search, stimuli) asks here, so there is one place where visibility
 * is decided.
 */
import type { QueryFilter } from 'mongoose';
import { Forbidden, ValidationFailed } from '../errors.js';
import type { Access, Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import type { Role } from '../users/user-model.js';
import type { ItemHead, RevisionDoc } from './item-model.js';
import type { Sharing } from './item-types.js';
import { keyOrgs, mayReadKey } from './key-access.js';

/** Roles that may read the bank at all; candidates and proctors never do. */
export const BANK_ROLES: readonly Role[] = ['admin', 'author', 'reviewer', 'exam_manager'];

/**
 * The caller's bank roles, resolved once per request. A role held at an
 * organisation applies to its whole subtree, so "holds role R over item X"
 * is "one of R's organisations is on X's orgPath".
 */
export interface BankCaller {
  id: string;
  bankOrgs: Set<string>;
  authorOrgs: Set<string>;
  reviewerOrgs: Set<string>;
  adminOrgs: Set<string>;
  /** Every organisation at or above one where a bank role is held. */
  aboveBankOrgs: Set<string>;
  /** Where the caller reads keys (key-access.ts). */
  keyOrgs: Set<string>;
}

/** What sharing is decided on: an item head, a revision's sharing on its head, a passage. */
export interface Owned {
  authorId: string;
  sharing: Sharing;
  ownerOrgId: string;
  orgPath: string[];
}

/** The organisation that owns a new item or passage, with its path from the root. */
export interface Owner {
  ownerOrgId: string;
  orgPath: string[];
}

export function intersects(path: readonly string[], orgs: Set<string>): boolean {
  return path.some((o) => orgs.has(o));
}

/**
 * Sharing rules, the one place they are decided:
 * - `private`: its creator only;
 * - `org`: bank roles held at the owner organisation or above it;
 * - `subtree`: as `org`, plus bank roles held anywhere below the owner;
 * - `national`: every bank role.
 * The creator always sees their own items.
 */
export function canSee(c: Pick<BankCaller, 'id' | 'bankOrgs' | 'aboveBankOrgs'>, x: Owned): boolean {
  if (x.authorId === c.id) return true;
  switch (x.sharing) {
    case 'national':
      return true;
    case 'subtree':
      return intersects(x.orgPath, c.bankOrgs) || c.aboveBankOrgs.has(x.ownerOrgId);
    case 'org':
      return intersects(x.orgPath, c.bankOrgs);
    default:
      return false;
  }
}

/** {@link canSee} as a MongoDB filter, for lists and search. */
export function visibilityFilter(c: Pick<BankCaller, 'id' | 'bankOrgs' | 'aboveBankOrgs'>): QueryFilter<ItemHead> {
  return {
    $or: [
      { authorId: c.id },
      { sharing: 'national' },
      { sharing: { $in: ['org', 'subtree'] }, orgPath: { $in: [...c.bankOrgs] } },
      { sharing: 'subtree', ownerOrgId: { $in: [...c.aboveBankOrgs] } },
    ],
  };
}

export class BankAccess {
  constructor(
    private readonly access: Access,
    private readonly orgs: Pick<OrgService, 'pathOf'>,
  ) {}

  /** Resolves the caller's bank roles; anyone without one is refused outright. */
  async caller(principal: Pick<Principal, 'id' | 'roles'>): Promise<BankCaller> {
    const bankOrgs = this.access.grantOrgs(principal, BANK_ROLES);
    if (bankOrgs.length === 0) throw new Forbidden('The question bank is open to authors, reviewers, exam managers and administrators only');
    const aboveBankOrgs = new Set<string>();
    for (const org of bankOrgs) for (const o of (await this.orgs.pathOf(org)) ?? []) aboveBankOrgs.add(o);
    return {
      id: principal.id,
      bankOrgs: new Set(bankOrgs),
      authorOrgs: new Set(this.access.grantOrgs(principal, 'author')),
      reviewerOrgs: new Set(this.access.grantOrgs(principal, 'reviewer')),
      adminOrgs: new Set(this.access.grantOrgs(principal, 'admin')),
      aboveBankOrgs,
      keyOrgs: keyOrgs(principal),
    };
  }

  /** The sharing rules ({@link canSee}). */
  canSee(c: BankCaller, x: Owned): boolean {
    return canSee(c, x);
  }

  /** The sharing rules as a MongoDB filter ({@link visibilityFilter}). */
  visibilityFilter(c: BankCaller): QueryFilter<ItemHead> {
    return visibilityFilter(c);
  }

  /** {@link canSee} with a revision's own sharing; its writer sees it too. */
  canSeeRevision(c: BankCaller, head: ItemHead, rev: RevisionDoc): boolean {
    return rev.authorId === c.id || canSee(c, { authorId: head.authorId, sharing: rev.sharing ?? 'org', ownerOrgId: head.ownerOrgId, orgPath: head.orgPath });
  }

  /** An author role at the owner organisation or above it. */
  mayAuthor(c: BankCaller, x: { orgPath: string[] }): boolean {
    return intersects(x.orgPath, c.authorOrgs);
  }

  /** A reviewer role at the owner organisation or above it. */
  mayReview(c: BankCaller, x: { orgPath: string[] }): boolean {
    return intersects(x.orgPath, c.reviewerOrgs);
  }

  /** The key is for those who may write or review the item, not for every reader (key-access.ts). */
  mayReadKey(c: BankCaller, x: { orgPath: string[] }): boolean {
    return mayReadKey(c.keyOrgs, x);
  }

  /** The organisation that will own a new item or passage, and the caller's right to write there. */
  async resolveOwner(c: BankCaller, ownerOrgId: string | undefined): Promise<Owner> {
    if (c.authorOrgs.size === 0) throw new Forbidden('Only authors write to the question bank');
    let orgId = ownerOrgId;
    if (orgId === undefined) {
      if (c.authorOrgs.size > 1) {
        throw new ValidationFailed('Say which organisation owns the item', [
          { instancePath: '/ownerOrgId', keyword: 'required', message: 'is required when you are an author at several organisations', params: { missingProperty: 'ownerOrgId' } },
        ]);
      }
      orgId = [...c.authorOrgs][0]!;
    }
    const orgPath = await this.orgs.pathOf(orgId);
    if (!orgPath) {
      throw new ValidationFailed('Unknown owner organisation', [{ instancePath: '/ownerOrgId', keyword: 'knownId', message: 'names no organisation' }]);
    }
    if (!intersects(orgPath, c.authorOrgs)) throw new Forbidden('You are not an author at that organisation or above it');
    return { ownerOrgId: orgId, orgPath };
  }
}
