/**
 * Audit records of the question bank's writes and of exports that carry
 * keys: one record per request, in the chain of the organisation that owns
 * the item (bulk writes and imports: the owner of the first stored item;
 * exports: the caller's first author or reviewer grant). Kept out of the
 * routes so that each route adds one call.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContext } from '../audit/audit-context.js';
import type { KeyGuardOutcome } from './edit-guard.js';
import type { BulkResult } from './item-service.js';
import type { ItemView } from './item-views.js';
import type { ItemStatus } from './item-types.js';

const AUTHORS = ['author'] as const;
/** Who reads keys in the bank: an export by anyone else carries none. */
const KEY_READERS = ['author', 'reviewer'] as const;
/** Who moves items through the review workflow (the roles that may change an item's status). */
const WORKFLOW = ['author', 'reviewer', 'admin'] as const;

/** The only step that leads to each status, so a record can say where a revision came from. */
const FROM: Record<ItemStatus, ItemStatus | null> = { draft: 'in_review', in_review: 'draft', approved: 'in_review', retired: 'approved' };

export class ItemAudit {
  constructor(private readonly app: FastifyInstance) {}

  /** The organisation whose chain records a write of these items. */
  private async ownerOf(request: FastifyRequest, ids: readonly string[]): Promise<string> {
    if (ids.length) {
      const head = await this.app.models.Item.findById(ids[0], { ownerOrgId: 1 }).lean<{ ownerOrgId: string }>();
      if (head) return head.ownerOrgId;
    }
    const grants = request.principal.roles;
    return (grants.find((g) => g.role === 'author') ?? grants[0])!.orgId;
  }

  async created(request: FastifyRequest, view: ItemView): Promise<ItemView> {
    await this.app.audit.record(auditContext(request, AUTHORS), {
      orgId: view.ownerOrgId,
      action: 'item.create',
      target: `item:${view.id}`,
      summary: { after: { revision: view.revision, status: view.status, type: view.type, sharing: view.sharing } },
    });
    return view;
  }

  async updated(request: FastifyRequest, view: ItemView, guard: KeyGuardOutcome): Promise<ItemView> {
    await this.app.audit.record(auditContext(request, guard.overridden ? ['author', 'exam_manager'] : AUTHORS), {
      orgId: view.ownerOrgId,
      action: 'item.update',
      target: `item:${view.id}`,
      summary: {
        before: { revision: view.revision - 1 },
        after: { revision: view.revision, status: view.status },
        ...(guard.keyChanged ? { liveExamKeyChanged: true, override: guard.overridden, exams: guard.exams } : {}),
      },
    });
    return view;
  }

  async status(request: FastifyRequest, view: ItemView, to: ItemStatus, revision: number | undefined): Promise<ItemView> {
    await this.app.audit.record(auditContext(request, WORKFLOW), {
      orgId: view.ownerOrgId,
      action: 'item.status',
      target: `item:${view.id}`,
      summary: { revision: revision ?? view.revision, before: { status: FROM[to] }, after: { status: to } },
    });
    return view;
  }

  async bulk(request: FastifyRequest, results: BulkResult[]): Promise<BulkResult[]> {
    const ids = results.flatMap((r) => ('id' in r ? [r.id] : []));
    await this.app.audit.record(auditContext(request, AUTHORS), {
      orgId: await this.ownerOf(request, ids),
      action: 'item.bulk_create',
      target: `items:${request.id}`,
      summary: { created: ids.length, failed: results.length - ids.length, ids },
    });
    return results;
  }

  async imported<R extends { imported: number; ids: string[]; failed: unknown[]; stimuli?: { id?: string }[] }>(request: FastifyRequest, format: string, report: R): Promise<R> {
    const stimuli = (report.stimuli ?? []).flatMap((s) => (s.id ? [s.id] : []));
    await this.app.audit.record(auditContext(request, AUTHORS), {
      orgId: await this.ownerOf(request, report.ids),
      action: 'item.import',
      target: `items:${request.id}`,
      summary: { format, imported: report.imported, failed: report.failed.length, ids: report.ids, ...(stimuli.length ? { stimuli } : {}) },
    });
    return report;
  }

  /** An export, before its first byte, when the caller holds a role that reads keys (the items it may author or review go out with theirs). */
  async exporting(request: FastifyRequest, format: string, filters: Record<string, unknown>): Promise<void> {
    const keyOrgs = this.app.access.grantOrgs(request.principal, KEY_READERS);
    if (keyOrgs.length === 0) return;
    await this.app.audit.record(auditContext(request, KEY_READERS), {
      orgId: keyOrgs[0]!,
      action: 'item.export',
      target: `items:${request.id}`,
      summary: { format, filters, keyOrgs },
    });
  }

  async stimulus<S extends { id: string; ownerOrgId: string; title?: string; revision?: number }>(request: FastifyRequest, view: S, action: 'stimulus.create' | 'stimulus.update'): Promise<S> {
    await this.app.audit.record(auditContext(request, AUTHORS), {
      orgId: view.ownerOrgId,
      action,
      target: `stimulus:${view.id}`,
      summary: { after: { title: view.title, ...(view.revision !== undefined ? { revision: view.revision } : {}) } },
    });
    return view;
  }
}
