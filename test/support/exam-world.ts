/**
 * An organisation tree, staff, candidates and an approved bank for the exam
 * and assembly HTTP tests, all made through the public API:
 *
 *   MOET ── SGD-HN (department: author, reviewer, exam manager, proctor)
 *        │     └── THPT-A (school: candidates)
 *        └── SGD-HCM (department: another exam manager)
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { CognitiveLevel, ItemType } from '../../src/bank/item-types.js';
import { adminSession, as, login } from '../helper.js';

export type Caller = (opts: InjectOptions) => Promise<LightMyRequestResponse>;

export interface ExamWorld {
  app: FastifyInstance;
  orgs: { root: string; dep: string; school: string; otherDep: string };
  author: Caller;
  reviewer: Caller;
  manager: Caller;
  proctor: Caller;
  otherManager: Caller;
  candidate: Caller;
  candidateIds: string[];
  managerId: string;
  /** The exam manager's bearer token (valid in any app on the same database and secret). */
  managerToken: string;
}

/** Password of every user of the world (candidates log in with it too). */
export const WORLD_PASSWORD = 'exam-test-password-1';

/** The answer's JSON body, when a set-up step got the status it needs; throws otherwise. */
export async function ok(res: LightMyRequestResponse, status: number, what = 'set-up step') {
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Builds the world; `prefix` keeps org codes and usernames apart when two worlds share a database. */
export async function examWorld(app: FastifyInstance, candidates = 6, prefix = 'w'): Promise<ExamWorld> {
  const admin = await adminSession(app);
  const asAdmin = as(app, admin.token);
  const org = async (code: string, kind: string, parentId: string) =>
    (await ok(await asAdmin({ method: 'POST', url: '/api/orgs', payload: { code: `${prefix}-${code}`, name: code, kind, parentId } }), 201, `org ${code}`)).id as string;
  const dep = await org('SGD-HN', 'department', admin.rootId);
  const school = await org('THPT-A', 'school', dep);
  const otherDep = await org('SGD-HCM', 'department', admin.rootId);
  const user = async (name: string, roles: { role: string; orgId: string }[]) => {
    const username = `${prefix}_${name}`;
    const created = await ok(
      await asAdmin({ method: 'POST', url: '/api/users', payload: { username, password: WORLD_PASSWORD, displayName: name, roles } }),
      201,
      `user ${name}`,
    );
    const token = await login(app, username, WORLD_PASSWORD);
    return { id: created.id as string, token, call: as(app, token) };
  };
  const author = await user('author', [{ role: 'author', orgId: dep }]);
  const reviewer = await user('reviewer', [{ role: 'reviewer', orgId: dep }]);
  const manager = await user('manager', [{ role: 'exam_manager', orgId: dep }]);
  const proctor = await user('proctor', [{ role: 'proctor', orgId: dep }]);
  const otherManager = await user('other_manager', [{ role: 'exam_manager', orgId: otherDep }]);
  const candidateIds: string[] = [];
  let candidate: Caller | null = null;
  for (let i = 0; i < candidates; i++) {
    const c = await user(`cand${i}`, [{ role: 'candidate', orgId: school }]);
    candidateIds.push(c.id);
    candidate ??= c.call;
  }
  return {
    app,
    orgs: { root: admin.rootId, dep, school, otherDep },
    author: author.call,
    reviewer: reviewer.call,
    manager: manager.call,
    proctor: proctor.call,
    otherManager: otherManager.call,
    candidate: candidate!,
    candidateIds,
    managerId: manager.id,
    managerToken: manager.token,
  };
}

export interface ItemSpec {
  type: ItemType;
  topic: string;
  cognitiveLevel: CognitiveLevel;
  difficulty?: number;
  stimulusId?: string;
  stimulusOrder?: number;
  /** Marks the stem so tests can find the item in printed output. */
  label?: string;
  /** @defaultValue the bank's default (`org`) */
  sharing?: 'private' | 'org' | 'subtree' | 'national';
}

/** A valid item of each type; keys use distinctive values so tests can look for leaks. */
export function itemBody(spec: ItemSpec): Record<string, unknown> {
  const common = {
    type: spec.type,
    stem: `<p>${spec.label ?? 'Câu hỏi'}: cho \\(f(x) = x^2 - 3x\\), tính \\[\\int_0^1 f(x)\\,dx\\]</p>`,
    subject: 'math',
    grade: 12,
    topic: spec.topic,
    cognitiveLevel: spec.cognitiveLevel,
    ...(spec.difficulty !== undefined ? { difficulty: spec.difficulty } : {}),
    ...(spec.stimulusId ? { stimulusId: spec.stimulusId, stimulusOrder: spec.stimulusOrder ?? 0 } : {}),
    ...(spec.sharing ? { sharing: spec.sharing } : {}),
  };
  switch (spec.type) {
    case 'single_choice':
      return {
        ...common,
        options: [
          { id: 'A', text: '\\(-\\tfrac{7}{6}\\)' },
          { id: 'B', text: '1' },
          { id: 'C', text: '2' },
          { id: 'D', text: 'Không có đáp án đúng', fixed: true },
        ],
        correct: ['A'],
      };
    case 'multiple_choice':
      return { ...common, options: [{ id: 'A', text: 'a' }, { id: 'B', text: 'b' }, { id: 'C', text: 'c' }], correct: ['A', 'C'], scoring: 'partial' };
    case 'true_false':
      return { ...common, value: true };
    case 'true_false_cluster':
      return {
        ...common,
        statements: [
          { id: 'a', text: 'Hàm số đồng biến' },
          { id: 'b', text: 'Có cực đại' },
          { id: 'c', text: 'Có cực tiểu' },
          { id: 'd', text: 'Có tiệm cận' },
        ],
        values: { a: true, b: false, c: true, d: false },
      };
    case 'numeric':
      return { ...common, value: 987.654, tolerance: 0.001 };
    case 'short_text':
      return { ...common, accepted: ['ĐÁPÁNBÍMẬT'] };
    case 'matching':
      return { ...common, premises: [{ id: 'p1', text: 'p1' }, { id: 'p2', text: 'p2' }], choices: [{ id: 'c1', text: 'c1' }, { id: 'c2', text: 'c2' }, { id: 'c3', text: 'c3' }], pairs: { p1: 'c2', p2: 'c1' } };
    case 'ordering':
      return { ...common, elements: [{ id: 'e1', text: 'một' }, { id: 'e2', text: 'hai' }, { id: 'e3', text: 'ba' }], order: ['e1', 'e2', 'e3'] };
    case 'cloze':
      return { ...common, text: 'Thủ đô là {{b1}} và số {{b2}}', blanks: [{ id: 'b1', accepted: ['ĐÁPÁNBÍMẬT'] }, { id: 'b2', value: 987.654 }] };
    case 'essay':
      return { ...common, rubric: [{ criterion: 'Lập luận', maxPoints: 3 }, { criterion: 'Trình bày', maxPoints: 1 }], maxWords: 200 };
  }
}

/** Creates the items (bulk), sends them to review and approves them with a second user; returns their ids. */
export async function approvedItems(world: ExamWorld, specs: ItemSpec[]): Promise<string[]> {
  return approvedBodies(world, specs.map(itemBody));
}

/** {@link approvedItems} for item bodies written out in full. */
export async function approvedBodies(world: ExamWorld, bodies: Record<string, unknown>[]): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < bodies.length; start += 500) {
    const chunk = bodies.slice(start, start + 500);
    const res = await ok(await world.author({ method: 'POST', url: '/api/items/bulk', payload: { items: chunk } }), 200, 'bulk items');
    for (const r of res.results as { id?: string; error?: unknown }[]) {
      if (!r.id) throw new Error(`item refused: ${JSON.stringify(r.error)}`);
      ids.push(r.id);
    }
  }
  for (const id of ids) {
    await ok(await world.author({ method: 'POST', url: `/api/items/${id}/status`, payload: { status: 'in_review' } }), 200, 'to review');
    await ok(await world.reviewer({ method: 'POST', url: `/api/items/${id}/status`, payload: { status: 'approved' } }), 200, 'approve');
  }
  return ids;
}

/** A passage owned by the department. */
export async function stimulus(world: ExamWorld, title: string): Promise<string> {
  const res = await world.author({ method: 'POST', url: '/api/stimuli', payload: { title, content: `<p>${title}: đoạn văn về \\(e^x\\).</p>`, subject: 'math', grade: 12 } });
  return (await ok(res, 201, 'stimulus')).id;
}

export const WINDOW = { opensAt: '2030-05-01T01:00:00.000Z', closesAt: '2030-05-01T03:00:00.000Z' };
