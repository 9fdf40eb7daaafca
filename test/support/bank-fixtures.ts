import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ItemType } from '../../src/bank/item-types.js';
import { adminSession, as, login } from '../helper.js';

/**
 * An organisation tree and bank users for question-bank tests, built through
 * the API like an administrator would:
 *
 *   MOET (ministry)
 *   ├── SGD-HN (department) ── TH-A (school), TH-B (school)
 *   └── SGD-HCM (department) ── TH-C (school)
 */
export interface BankWorld {
  app: FastifyInstance;
  orgs: { root: string; depHN: string; depHCM: string; schoolA: string; schoolB: string; schoolC: string };
  /** A request function per user, already authenticated. */
  users: Record<UserKey, Caller>;
  ids: Record<UserKey, string>;
}

export type Caller = (opts: InjectOptions) => Promise<LightMyRequestResponse>;

const USERS = {
  authorA: [['author', 'schoolA']],
  authorA2: [['author', 'schoolA']],
  reviewerA: [['reviewer', 'schoolA']],
  authorReviewerA: [['author', 'schoolA'], ['reviewer', 'schoolA']],
  adminA: [['admin', 'schoolA']],
  candidateA: [['candidate', 'schoolA']],
  proctorA: [['proctor', 'schoolA']],
  authorB: [['author', 'schoolB']],
  reviewerB: [['reviewer', 'schoolB']],
  authorDep: [['author', 'depHN']],
  reviewerDep: [['reviewer', 'depHN']],
  managerDep: [['exam_manager', 'depHN']],
  authorC: [['author', 'schoolC']],
  authorMinistry: [['author', 'root']],
  reviewerMinistry: [['reviewer', 'root']],
  authorTwoSchools: [['author', 'schoolA'], ['author', 'schoolB']],
} as const;
export type UserKey = keyof typeof USERS;
type OrgKey = keyof BankWorld['orgs'];

const PASSWORD = 'bank-test-password-1';

export async function bankWorld(app: FastifyInstance): Promise<BankWorld> {
  const admin = await adminSession(app);
  const asAdmin = as(app, admin.token);
  const org = async (code: string, kind: string, parentId: string) => {
    const res = await asAdmin({ method: 'POST', url: '/api/orgs', payload: { code, name: code, kind, parentId } });
    if (res.statusCode !== 201) throw new Error(`org ${code}: ${res.statusCode} ${res.body}`);
    return res.json().id as string;
  };
  const root = admin.rootId;
  const depHN = await org('SGD-HN', 'department', root);
  const depHCM = await org('SGD-HCM', 'department', root);
  const orgs = { root, depHN, depHCM, schoolA: await org('TH-A', 'school', depHN), schoolB: await org('TH-B', 'school', depHN), schoolC: await org('TH-C', 'school', depHCM) };

  const rows = Object.entries(USERS).map(([username, grants]) => ({
    username,
    password: PASSWORD,
    displayName: username,
    roles: grants.map(([role, o]) => ({ role, orgId: orgs[o as OrgKey] })),
  }));
  const made = await asAdmin({ method: 'POST', url: '/api/users/bulk', payload: { users: rows } });
  if (made.statusCode !== 200 || made.json().created !== rows.length) throw new Error(`users: ${made.statusCode} ${made.body}`);

  const users = {} as Record<UserKey, Caller>;
  const ids = {} as Record<UserKey, string>;
  await Promise.all(
    (Object.keys(USERS) as UserKey[]).map(async (key) => {
      const token = await login(app, key, PASSWORD);
      users[key] = as(app, token);
      ids[key] = (await users[key]({ method: 'GET', url: '/api/me' })).json().id;
    }),
  );
  return { app, orgs, users, ids };
}

const common = {
  stem: '<p>Câu hỏi</p>',
  subject: 'math',
  grade: 10,
  topic: 'ham-so',
  cognitiveLevel: 1,
};

/** A valid item of every type, in the shapes of ITEMS.md. */
export function validItem(type: ItemType, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const byType: Record<ItemType, Record<string, unknown>> = {
    single_choice: {
      stem: '<p>Phương trình \\(x^2 - 4 = 0\\) có bao nhiêu nghiệm?</p>',
      options: [
        { id: 'A', text: 'Một' },
        { id: 'B', text: 'Hai' },
        { id: 'C', text: 'Không' },
        { id: 'D', text: 'Vô số', fixed: true },
      ],
      correct: ['B'],
    },
    multiple_choice: {
      options: [
        { id: 'A', text: '2' },
        { id: 'B', text: '3' },
        { id: 'C', text: '4' },
      ],
      correct: ['A', 'B'],
      scoring: 'partial',
    },
    true_false: { stem: '<p>Đồ thị hàm số bậc nhất là một đường thẳng.</p>', value: true },
    true_false_cluster: {
      statements: [
        { id: 'a', text: 'Hàm số đồng biến trên R' },
        { id: 'b', text: 'Đồ thị đi qua gốc tọa độ' },
        { id: 'c', text: 'Hàm số có cực trị' },
        { id: 'd', text: 'f(1) = 2' },
      ],
      values: { a: true, b: false, c: false, d: true },
    },
    numeric: { value: -1.5, tolerance: 0.01 },
    short_text: { stem: '<p>Thủ đô của Việt Nam?</p>', accepted: ['Hà Nội'], ignoreDiacritics: true },
    matching: {
      premises: [
        { id: 'p1', text: 'sin' },
        { id: 'p2', text: 'cos' },
      ],
      choices: [
        { id: 'c1', text: 'lẻ' },
        { id: 'c2', text: 'chẵn' },
        { id: 'c3', text: 'không chẵn không lẻ' },
      ],
      pairs: { p1: 'c1', p2: 'c2' },
    },
    ordering: {
      elements: [
        { id: 'e1', text: 'Đặt điều kiện' },
        { id: 'e2', text: 'Giải phương trình' },
        { id: 'e3', text: 'Kết luận' },
      ],
      order: ['e1', 'e2', 'e3'],
      scoring: 'partial',
    },
    cloze: {
      text: '<p>Thủ đô là {{b1}}, có {{b2}} quận.</p>',
      blanks: [
        { id: 'b1', accepted: ['Hà Nội'] },
        { id: 'b2', value: 12, tolerance: 0 },
      ],
    },
    essay: { rubric: [{ criterion: 'Lập luận', maxPoints: 2 }, { criterion: 'Trình bày', maxPoints: 1 }], maxWords: 300 },
  };
  return { ...common, type, ...byType[type], ...extra };
}

/** POSTs an item and returns its answer; fails the caller's expectations loudly when it is not 201. */
export async function createItem(user: Caller, item: Record<string, unknown>): Promise<Record<string, unknown> & { id: string; revision: number }> {
  const res = await user({ method: 'POST', url: '/api/items', payload: item });
  if (res.statusCode !== 201) throw new Error(`create item: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function setStatus(user: Caller, id: string, status: string, revision?: number) {
  return user({ method: 'POST', url: `/api/items/${id}/status`, payload: revision === undefined ? { status } : { status, revision } });
}

/** Creates an item with `author`, submits it, and has `reviewer` approve it. */
export async function approvedItem(author: Caller, reviewer: Caller, item: Record<string, unknown>) {
  const created = await createItem(author, item);
  for (const [who, status] of [[author, 'in_review'], [reviewer, 'approved']] as const) {
    const res = await setStatus(who, created.id, status);
    if (res.statusCode !== 200) throw new Error(`${status}: ${res.statusCode} ${res.body}`);
  }
  return created;
}
