import { randomBytes } from 'node:crypto';
import type { BankReader, ItemRevision, ItemType, CognitiveLevel } from '../bank/item-types.js';
import { examKeyReader } from '../bank/key-access.js';
import { assembleForms, pinStimuli, type AssemblyResult, type PoolItem } from '../assembly/assembler.js';
import type { PassagePin, PassageText } from '../bank/stimulus-revisions.js';
import type { Blueprint } from '../assembly/blueprint-model.js';
import { standing, resolveManagerOrg, type BlueprintService } from '../assembly/blueprint-service.js';
import { Conflict, Forbidden, NotFound, ValidationFailed } from '../errors.js';
import { newId } from '../ids.js';
import type { Access, Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import { nativeOf, readMany } from '../infra/store.js';
import type { User, UserModel } from '../users/user-model.js';
import type { Detail } from '../validation.js';
import { assignFormCode, formDelivery, type CandidateItem, type FormDelivery } from './candidate-form.js';
import { legacyDeliverySecret, newDeliverySecret } from './delivery-ids.js';
import type { Exam, ExamModel, Form, FormModel } from './exam-model.js';
import type { AssembleSummary, NewExam } from '../contracts/exams.js';
import { checkAdaptiveSettings, poolForm, POOL_FORM_CODE } from './adaptive-exam.js';
import type { AdaptivePoolForm } from '../adaptive/replay.js';

// The body of POST /api/exams (checked against its JSON Schema by the route) and the assembly's answer: shared contracts.
export type { AssembleSummary, NewExam };

/** Where an assembly's time went (the route reports it as a Server-Timing header). */
export interface AssembleTimings {
  poolReadMs: number;
  drawMs: number;
  storeMs: number;
}

/** How the caller may see an exam. */
export type ExamAudience = 'manager' | 'staff' | 'candidate';

/** Whether the caller may read this pinned item's key now (key-access.ts). */
export type KeyTest = (item: ItemRevision) => boolean;

/** The form and everything needed to show or print it with its key. */
export interface FormWithRevisions {
  exam: Exam;
  form: Form;
  /** Keyed by `${itemId}@${revision}`. */
  revisions: Map<string, ItemRevision>;
  blueprint: Blueprint | null;
  readsKey: KeyTest;
}

export const pinKey = (itemId: string, revision: number) => `${itemId}@${revision}`;

/** Forms are keyed by exam, assembly and code, so every form read is a primary-key read. */
export const formId = (examId: string, assemblyId: string, code: string) => `${examId}:${assemblyId}:${code}`;

export interface ExamServiceDeps {
  Exam: ExamModel;
  Form: FormModel;
  User: UserModel;
  blueprints: BlueprintService;
  bank: BankReader;
  orgs: OrgService;
  access: Access;
  /** Shared passages: pinned at assembly, read as pinned for printing; without it passages are neither pinned nor printed. */
  passages?: PassageReader;
  /** Server key from which a form stored before delivery secrets existed gets its secret (the same in every process). */
  deliveryKey: string;
}

/** What exams need of the shared passages (src/bank/stimulus-revisions.ts). */
export interface PassageReader {
  /** The revision each passage is at now. */
  current(ids: string[]): Promise<Map<string, number>>;
  /** The passages as pinned, by stimulus id. */
  pinned(pins: PassagePin[]): Promise<Map<string, PassageText>>;
}

const MAX_CACHED_FORMS = 256;

/** The one answer for a roster id that is unknown, or not a candidate of the exam's organisation or below. */
const NOT_A_CANDIDATE = "is not a candidate of the exam's organisation or an organisation below it";

/**
 * Exams: creation, assembly of forms, publication, and the read paths the
 * live exam and grading use. Holds no state a second process would need; the
 * only cache is of candidate forms of published exams, which never change.
 */
export class ExamService {
  private readonly deliveryCache = new Map<string, FormDelivery>();

  constructor(private readonly deps: ExamServiceDeps) {}

  async create(actor: Principal, input: NewExam): Promise<Exam> {
    const problems: Detail[] = [];
    const opensAt = new Date(input.opensAt);
    const closesAt = new Date(input.closesAt);
    if (!(closesAt.getTime() > opensAt.getTime())) problems.push({ instancePath: '/closesAt', message: 'must be after opensAt' });
    const owner = await resolveManagerOrg(this.deps.orgs, this.deps.access, actor, input.orgId);
    const blueprint = await this.deps.blueprints.byId(input.blueprintId);
    if (!blueprint || !(await this.deps.blueprints.mayUse(actor, blueprint))) {
      problems.push({ instancePath: '/blueprintId', message: 'no such blueprint' });
    } else if (!owner.path.includes(blueprint.ownerOrgId)) {
      problems.push({ instancePath: '/blueprintId', message: 'belongs to an organisation that is not this exam\'s organisation or above it' });
    }
    const mode = input.mode ?? 'fixed';
    if (mode === 'adaptive') {
      if (!input.adaptive) problems.push({ instancePath: '/adaptive', message: 'is required for an adaptive exam' });
      if (input.formCount !== 1) problems.push({ instancePath: '/formCount', message: 'must be 1 for an adaptive exam (its one form is the item pool)' });
    } else if (input.adaptive) {
      problems.push({ instancePath: '/adaptive', message: 'is only for an exam with mode "adaptive"' });
    }
    const candidateIds = [...new Set(input.candidateIds)];
    const roster = await this.rosterable(owner.orgId, candidateIds);
    input.candidateIds.forEach((id, i) => {
      if (!roster.has(id) && problems.length < 50) problems.push({ instancePath: `/candidateIds/${i}`, keyword: 'candidate', message: NOT_A_CANDIDATE });
    });
    if (problems.length) throw new ValidationFailed('The exam is not valid', problems);
    // The engine's own checks on everything but the pool (422 adaptive_config_invalid); the pool is checked at assembly.
    if (mode === 'adaptive') checkAdaptiveSettings(input.adaptive!, blueprint!);
    const exam = new this.deps.Exam({
      title: input.title,
      blueprintId: blueprint!._id,
      subject: blueprint!.subject,
      grade: blueprint!.grade,
      formCount: input.formCount,
      seed: input.seed === undefined ? randomBytes(16).toString('hex') : String(input.seed),
      opensAt,
      closesAt,
      durationMinutes: input.durationMinutes,
      candidateIds,
      showResults: input.showResults,
      showFeedback: input.showFeedback ?? 'with_details',
      ...(mode === 'adaptive' ? { mode, adaptive: input.adaptive } : {}),
      status: 'draft',
      ownerOrgId: owner.orgId,
      orgPath: owner.path,
      createdBy: actor.id,
    });
    await exam.save();
    return exam.toObject();
  }

  /**
   * The ids among `ids` of users who hold a candidate role at `orgId` or
   * below it: only they may sit its exams. One batched read of the users
   * (a 5,000-row roster is one pass on FerretDB) and one path look-up per
   * distinct organisation of their candidate roles (cached by OrgService).
   * Unknown ids and other organisations' users are simply absent, so the
   * caller cannot tell them apart.
   */
  private async rosterable(orgId: string, ids: readonly string[]): Promise<Set<string>> {
    const users = await readMany(nativeOf<Pick<User, '_id' | 'roles'>>(this.deps.User), ids, { roles: 1 });
    const candidateOrgs = new Map<string, string[]>();
    for (const u of users.values()) candidateOrgs.set(u._id, (u.roles ?? []).filter((g) => g.role === 'candidate').map((g) => g.orgId));
    const below = new Map<string, boolean>();
    for (const org of new Set([...candidateOrgs.values()].flat())) below.set(org, ((await this.deps.orgs.pathOf(org)) ?? []).includes(orgId));
    return new Set([...candidateOrgs].filter(([, orgs]) => orgs.some((o) => below.get(o))).map(([id]) => id));
  }

  /**
   * Exam managers of the owner organisation (or above) see everything;
   * proctors and administrators there see the staff view; listed candidates
   * the candidate view; others with a role there 403; everyone else 404.
   */
  async read(actor: Principal, id: string): Promise<{ exam: Exam; audience: ExamAudience }> {
    const exam = await this.deps.Exam.findById(id).lean();
    if (!exam) throw new NotFound('Exam');
    const s = standing(this.deps.access, actor, exam.orgPath);
    if (s === 'manager') return { exam, audience: 'manager' };
    if (this.deps.access.grantOrgs(actor, ['exam_board', 'proctor', 'admin']).some((g) => exam.orgPath.includes(g))) return { exam, audience: 'staff' };
    if (exam.candidateIds.includes(actor.id)) return { exam, audience: 'candidate' };
    if (s === 'member') throw new Forbidden('You may not read this exam');
    throw new NotFound('Exam');
  }

  /** The exam, when the caller manages it; 403 for others who may know it exists, else 404. */
  async managed(actor: Principal, id: string): Promise<Exam> {
    const exam = await this.deps.Exam.findById(id).lean();
    if (!exam) throw new NotFound('Exam');
    const s = standing(this.deps.access, actor, exam.orgPath);
    if (s === 'manager') return exam;
    if (s === 'member' || exam.candidateIds.includes(actor.id)) throw new Forbidden('Only an exam manager of the exam\'s organisation may do this');
    throw new NotFound('Exam');
  }

  /**
   * Draws the exam's forms from the approved bank and replaces any earlier
   * draft forms. The new forms are written first and then switched to in one
   * conditional update, so a publish racing with this either freezes the old
   * forms (and this answers exam_locked) or the new ones, never a mixture.
   */
  async assemble(actor: Principal, id: string): Promise<{ summary: AssembleSummary; exam: Exam; timings: AssembleTimings }> {
    const exam = await this.managed(actor, id);
    if (exam.status !== 'draft') throw new Conflict('exam_locked', 'The exam is published; its forms are frozen');
    const blueprint = await this.deps.blueprints.byId(exam.blueprintId);
    if (!blueprint) throw new NotFound('Blueprint');
    if (exam.mode === 'adaptive') return this.assembleAdaptive(exam, blueprint);
    const t0 = performance.now();
    const pools = await this.pools(exam, blueprint);
    const t1 = performance.now();
    const result = await this.pinPassages(assembleForms({ blueprint, seed: exam.seed, formCount: exam.formCount, pools }), pools);
    const t2 = performance.now();
    await this.store(exam, result);
    const t3 = performance.now();
    const summary: AssembleSummary = {
      seed: exam.seed,
      forms: result.forms.map((f) => ({ code: f.code, itemCount: f.itemCount, totalPoints: f.totalPoints, meanDifficulty: f.meanDifficulty, hash: f.hash })),
      overlap: result.overlap,
      difficultySpread: result.difficultySpread,
    };
    return { summary, exam, timings: { poolReadMs: t1 - t0, drawMs: t2 - t1, storeMs: t3 - t2 } };
  }

  /**
   * An adaptive exam's assembly: its one pool form (adaptive-exam.ts) from
   * the approved pools of the blueprint's cells, their revisions and their
   * calibration. Same bank, blueprint, settings and seed ⇒ the same form and hash.
   */
  private async assembleAdaptive(exam: Exam, blueprint: Blueprint): Promise<{ summary: AssembleSummary; exam: Exam; timings: AssembleTimings }> {
    const t0 = performance.now();
    const pools = await this.pools(exam, blueprint);
    const pins = new Map<string, { itemId: string; revision: number }>();
    for (const item of pools.flat(2)) pins.set(item.itemId, { itemId: item.itemId, revision: item.revision });
    const [revisions, statistics] = await Promise.all([
      this.deps.bank.revisions([...pins.values()]),
      this.deps.bank.statistics ? this.deps.bank.statistics([...pins.keys()]) : Promise.resolve(new Map()),
    ]);
    const t1 = performance.now();
    const draft = poolForm({ seed: exam.seed, adaptive: exam.adaptive! }, blueprint, pools, revisions, statistics);
    const form = { code: POOL_FORM_CODE, items: draft.items, hash: draft.hash, itemCount: draft.items.length, totalPoints: draft.totalPoints, meanDifficulty: draft.meanDifficulty };
    const result = await this.pinPassages({ forms: [form], overlap: 0, difficultySpread: 0 }, pools);
    const t2 = performance.now();
    await this.store(exam, result, draft.adaptive);
    const t3 = performance.now();
    const summary: AssembleSummary = {
      seed: exam.seed,
      forms: result.forms.map((f) => ({ code: f.code, itemCount: f.itemCount, totalPoints: f.totalPoints, meanDifficulty: f.meanDifficulty, hash: f.hash })),
      overlap: 0,
      difficultySpread: 0,
      adaptive: draft.counts,
    };
    return { summary, exam, timings: { poolReadMs: t1 - t0, drawMs: t2 - t1, storeMs: t3 - t2 } };
  }

  /**
   * The approved pool of every cell, as the exam's organisation may use it:
   * one bank read for all cells (identical cells asked once), served by the
   * bank's search index, so assembly reads no item documents at all.
   */
  private async pools(exam: Exam, blueprint: Blueprint): Promise<PoolItem[][][]> {
    const cells: { type?: ItemType; topic: string; cognitiveLevel: CognitiveLevel }[] = [];
    const at = new Map<string, number>();
    const slot = (type: ItemType | undefined, topic: string, cognitiveLevel: CognitiveLevel) => {
      const key = `${type ?? '*'}\u0000${topic}\u0000${cognitiveLevel}`;
      let i = at.get(key);
      if (i === undefined) {
        at.set(key, (i = cells.length));
        cells.push({ topic, cognitiveLevel, ...(type ? { type } : {}) });
      }
      return i;
    };
    const slots = blueprint.sections.map((s) => s.cells.map((c) => slot(s.type, c.topic, c.cognitiveLevel)));
    const pools = await this.deps.bank.approvedPools(exam.ownerOrgId, blueprint.subject, blueprint.grade, cells);
    return slots.map((section) => section.map((i) => pools[i]!));
  }

  /**
   * Pins the revision of every passage the drawn items read, as it is now: an
   * approved item's passage cannot change (stimulus_in_use), and once its
   * item is retired an edit is a new revision the form does not show.
   */
  private async pinPassages(result: AssemblyResult, pools: PoolItem[][][]): Promise<AssemblyResult> {
    const drawn = new Set(result.forms.flatMap((f) => f.items.map((i) => i.itemId)));
    const stimulusOf = new Map<string, string>();
    for (const item of pools.flat(2)) if (item.stimulusId && drawn.has(item.itemId)) stimulusOf.set(item.itemId, item.stimulusId);
    if (stimulusOf.size === 0 || !this.deps.passages) return result;
    const revisions = await this.deps.passages.current([...new Set(stimulusOf.values())]);
    return { ...result, forms: result.forms.map((f) => pinStimuli(f, stimulusOf, revisions)) };
  }

  private async store(exam: Exam, result: AssemblyResult, adaptive?: AdaptivePoolForm): Promise<void> {
    const assemblyId = newId();
    const docs: Form[] = result.forms.map((f) => ({
      _id: formId(exam._id, assemblyId, f.code),
      examId: exam._id,
      assemblyId,
      code: f.code,
      items: f.items,
      hash: f.hash,
      itemCount: f.itemCount,
      totalPoints: f.totalPoints,
      meanDifficulty: f.meanDifficulty,
      deliverySecret: newDeliverySecret(),
      ...(adaptive ? { adaptive } : {}),
    }));
    await this.deps.Form.insertMany(docs, { lean: true });
    const before = await this.deps.Exam.findOneAndUpdate(
      { _id: exam._id, status: 'draft' },
      {
        $set: {
          assemblyId,
          formCodes: result.forms.map((f) => f.code),
          overlap: result.overlap,
          difficultySpread: result.difficultySpread,
          assembledAt: new Date(),
        },
      },
      // No projection: FerretDB's findAndModify does not take one.
      { returnDocument: 'before' },
    ).lean();
    if (!before) {
      await this.deps.Form.deleteMany({ _id: { $in: docs.map((d) => d._id) } });
      throw new Conflict('exam_locked', 'The exam was published meanwhile; its forms are frozen');
    }
    if (before.assemblyId) {
      const stale = before.assemblyId;
      await this.deps.Form.deleteMany({ _id: { $in: before.formCodes.map((code) => formId(exam._id, stale, code)) } });
    }
  }

  /** draft (with forms) → published; forms are frozen from then on. */
  async publish(actor: Principal, id: string): Promise<Exam> {
    await this.managed(actor, id);
    const published = await this.deps.Exam.findOneAndUpdate(
      { _id: id, status: 'draft', assemblyId: { $ne: null } },
      { $set: { status: 'published', publishedAt: new Date() } },
      { returnDocument: 'after' },
    ).lean();
    if (published) return published;
    const now = await this.deps.Exam.findById(id).lean();
    if (!now) throw new NotFound('Exam');
    if (now.status !== 'draft') throw new Conflict('invalid_transition', `The exam is already ${now.status}`);
    throw new Conflict('invalid_transition', 'The exam has no forms yet: assemble it first');
  }

  /** One form with its pinned revisions, for exam managers; `readsKey` tells which keys they may be shown. */
  async managedForm(actor: Principal, id: string, code: string): Promise<FormWithRevisions> {
    const exam = await this.managed(actor, id);
    const form = await this.currentForm(exam, code);
    if (!form) throw new NotFound('Form');
    return { exam, form, revisions: await this.revisionsOf([form]), blueprint: await this.deps.blueprints.byId(exam.blueprintId), readsKey: examKeyReader(actor, exam) };
  }

  /** Every current form with its pinned revisions, for the answer key. */
  async managedForms(actor: Principal, id: string): Promise<{ exam: Exam; forms: Form[]; revisions: Map<string, ItemRevision>; readsKey: KeyTest }> {
    const exam = await this.managed(actor, id);
    const forms = await this.currentForms(exam);
    if (forms.length === 0) throw new NotFound('Form');
    return { exam, forms, revisions: await this.revisionsOf(forms), readsKey: examKeyReader(actor, exam) };
  }

  // ---- Read paths for the live exam and grading (no caller checks: the caller did them). ----

  /** The exam document: window (opensAt, closesAt), durationMinutes, candidateIds, showResults, status, formCodes, seed. */
  async byId(id: string): Promise<Exam | null> {
    return this.deps.Exam.findById(id).lean();
  }

  /** The current form with this code, or null (unknown code, or not assembled). */
  async currentForm(exam: Pick<Exam, '_id' | 'assemblyId'>, code: string): Promise<Form | null> {
    if (!exam.assemblyId) return null;
    // A primary-key read: the only lookup FerretDB's SQLite backend serves from an index.
    return this.deps.Form.findById(formId(exam._id, exam.assemblyId, code)).lean();
  }

  /** Every current form, by code. */
  async currentForms(exam: Pick<Exam, '_id' | 'assemblyId' | 'formCodes'>): Promise<Form[]> {
    if (!exam.assemblyId) return [];
    const forms = await Promise.all(exam.formCodes.map((code) => this.currentForm(exam, code)));
    return forms.filter((f): f is Form => f !== null);
  }

  /** The form code a candidate sits (see assignFormCode); store it on the attempt at first join. */
  formCodeFor(exam: Pick<Exam, 'seed' | 'formCount' | 'formCodes' | 'candidateIds'>, candidateId: string): string {
    return assignFormCode(exam, candidateId);
  }

  /**
   * A form as a candidate receives it (allow-listed: no key, no scoring data,
   * opaque option ids), in delivery order.
   */
  async candidateForm(exam: Pick<Exam, '_id' | 'assemblyId' | 'status'>, code: string): Promise<CandidateItem[]> {
    return (await this.delivery(exam, code)).items;
  }

  /**
   * What the live path serves of a form: the candidate items, the translation
   * of their ids, and the pinned revisions to check responses against.
   * Cached per process for published exams, whose forms never change.
   */
  async delivery(exam: Pick<Exam, '_id' | 'assemblyId' | 'status'> & Partial<Pick<Exam, 'assembledAt' | 'createdAt'>>, code: string): Promise<FormDelivery> {
    const key = `${exam._id}:${exam.assemblyId}:${code}`;
    const cached = this.deliveryCache.get(key);
    if (cached) return cached;
    const form = await this.currentForm(exam, code);
    if (!form) throw new NotFound('Form');
    const revisions = await this.deps.bank.revisions(form.items.map((i) => ({ itemId: i.itemId, revision: i.revision })));
    // The passages as the form pinned them, so candidates read the same text the printed form shows.
    const passages = await this.passagesOf(
      { assembledAt: exam.assembledAt, createdAt: exam.createdAt ?? new Date() },
      form,
      new Map(revisions.map((r) => [pinKey(r.itemId, r.revision), r])),
    );
    const delivery: FormDelivery = formDelivery({ ...form, deliverySecret: await this.deliverySecret(form) }, revisions, passages);
    if (form.adaptive) delivery.adaptive = { key: `${form._id}:${form.hash}`, form: form.adaptive, points: new Map(form.items.map((i) => [i.itemId, i.points])) };
    if (exam.status === 'published') {
      if (this.deliveryCache.size >= MAX_CACHED_FORMS) this.deliveryCache.delete(this.deliveryCache.keys().next().value!);
      this.deliveryCache.set(key, delivery);
    }
    return delivery;
  }

  /**
   * The form's secret for delivered ids. A form stored before forms had one
   * gets it now: a secret derived from the form's id under the server key, so
   * processes delivering it at once compute the same one whichever write lands
   * (a conditional update alone is not serialised by FerretDB over SQLite), and
   * all read it back, so every process derives the same ids.
   */
  private async deliverySecret(form: Pick<Form, '_id' | 'deliverySecret'>): Promise<string> {
    if (form.deliverySecret) return form.deliverySecret;
    await this.deps.Form.updateOne({ _id: form._id, deliverySecret: { $exists: false } }, { $set: { deliverySecret: legacyDeliverySecret(this.deps.deliveryKey, form._id) } });
    const stored = await this.deps.Form.findById(form._id, { deliverySecret: 1 }).lean();
    if (!stored?.deliverySecret) throw new NotFound('Form');
    return stored.deliverySecret;
  }

  /**
   * The passages a form prints, by stimulus id: the revisions it pinned. A
   * form assembled before forms pinned passages shows each passage as it
   * was when the exam was assembled.
   */
  async passagesOf(exam: Pick<Exam, 'assembledAt' | 'createdAt'>, form: Form, revisions: Map<string, ItemRevision>): Promise<Map<string, PassageText>> {
    if (!this.deps.passages) return new Map();
    const pins = new Map<string, PassagePin>();
    for (const item of form.items) {
      const stimulusId = revisions.get(pinKey(item.itemId, item.revision))?.stimulusId;
      if (!stimulusId || pins.has(stimulusId)) continue;
      pins.set(
        stimulusId,
        item.stimulusId === stimulusId && item.stimulusRevision !== undefined
          ? { stimulusId, revision: item.stimulusRevision }
          : { stimulusId, at: new Date(exam.assembledAt ?? exam.createdAt) },
      );
    }
    return pins.size ? this.deps.passages.pinned([...pins.values()]) : new Map();
  }

  /**
   * What the live path needs when a candidate joins: the exam (window,
   * duration, status), the candidate's form code (`storedCode` from their
   * attempt on a rejoin, else assigned now) and the allow-listed items.
   * 404 for an unknown exam, 403 for someone not on the roster, 409
   * invalid_transition while the exam is not published.
   */
  async deliveryFor(examId: string, candidateId: string, storedCode?: string): Promise<{ exam: Exam; formCode: string; items: CandidateItem[] }> {
    const exam = await this.byId(examId);
    if (!exam) throw new NotFound('Exam');
    if (!exam.candidateIds.includes(candidateId)) throw new Forbidden('You are not a candidate of this exam');
    if (exam.status !== 'published') throw new Conflict('invalid_transition', 'The exam is not published yet');
    const formCode = storedCode ?? this.formCodeFor(exam, candidateId);
    return { exam, formCode, items: await this.candidateForm(exam, formCode) };
  }

  /** Pinned revisions of the forms (key included), keyed by pinKey(itemId, revision). */
  async revisionsOf(forms: readonly Form[]): Promise<Map<string, ItemRevision>> {
    const pins = new Map<string, { itemId: string; revision: number }>();
    for (const form of forms) for (const i of form.items) pins.set(pinKey(i.itemId, i.revision), { itemId: i.itemId, revision: i.revision });
    const revisions = await this.deps.bank.revisions([...pins.values()]);
    return new Map(revisions.map((r) => [pinKey(r.itemId, r.revision), r]));
  }
}
