// Every audited action, through the API as users call it: exactly one record, with the actor, the role and org used, and the target.
import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { adminSession, as, build, login } from '../helper.js';
import { approvedItems, examWorld, itemBody, stimulus as makeStimulus } from '../support/fixtures/index.js';
import { submitAttempts, rightAnswer } from '../support/grading.js';

const { app } = await build(t);
const w = await examWorld(app, 2, 'aw');
const admin = await adminSession(app);
const asAdmin = as(app, admin.token);
const ids = (await app.models.User.find({ username: { $in: ['aw_author', 'aw_reviewer', 'aw_manager', 'aw_proctor'] } }, { username: 1 }).lean()).reduce<Record<string, string>>((m, u) => {
  m[u.username.slice(3)] = u._id;
  return m;
}, {});
const topic = 'audit-wiring';
const [choiceId, essayId] = await approvedItems(w, [
  { type: 'single_choice', topic, cognitiveLevel: 1 },
  { type: 'essay', topic, cognitiveLevel: 1 },
]);

/** What the steps learn as they go. */
const s: Record<string, string> = {};
const json = (res: LightMyRequestResponse, status: number) => {
  if (res.statusCode !== status) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json();
};

interface Step {
  action: string;
  actor: () => string;
  role: string;
  org: () => string;
  target: () => string;
  run: () => Promise<unknown>;
}

const steps: Step[] = [
  {
    action: 'org.create', actor: () => admin.userId, role: 'admin', org: () => admin.rootId, target: () => `org:${s.org}`,
    run: async () => (s.org = json(await asAdmin({ method: 'POST', url: '/api/orgs', payload: { code: 'aw-X', name: 'Trường X', kind: 'school', parentId: w.orgs.dep } }), 201).id),
  },
  {
    action: 'user.create', actor: () => admin.userId, role: 'admin', org: () => admin.rootId, target: () => `user:${s.user}`,
    run: async () => (s.user = json(await asAdmin({ method: 'POST', url: '/api/users', payload: { username: 'aw_new', password: 'password-123', displayName: 'Mới', roles: [{ role: 'author', orgId: s.org! }] } }), 201).id),
  },
  {
    action: 'user.bulk_create', actor: () => admin.userId, role: 'admin', org: () => admin.rootId, target: () => expect.prefix('roster:'),
    run: async () => json(await asAdmin({ method: 'POST', url: '/api/users/bulk', payload: { users: [1, 2].map((i) => ({ username: `aw_bulk${i}`, password: 'password-123', displayName: `HS ${i}`, roles: [{ role: 'candidate', orgId: s.org! }] })) } }), 200),
  },
  {
    action: 'user.update', actor: () => admin.userId, role: 'admin', org: () => admin.rootId, target: () => `user:${s.user}`,
    run: async () => json(await asAdmin({ method: 'PATCH', url: `/api/users/${s.user}`, payload: { roles: [{ role: 'reviewer', orgId: s.org! }] } }), 200),
  },
  {
    action: 'item.create', actor: () => ids.author!, role: 'author', org: () => w.orgs.dep, target: () => `item:${s.item}`,
    run: async () => (s.item = json(await w.author({ method: 'POST', url: '/api/items', payload: itemBody({ type: 'true_false', topic: 'other', cognitiveLevel: 2 }) }), 201).id),
  },
  {
    action: 'item.bulk_create', actor: () => ids.author!, role: 'author', org: () => w.orgs.dep, target: () => expect.prefix('items:'),
    run: async () => json(await w.author({ method: 'POST', url: '/api/items/bulk', payload: { items: [itemBody({ type: 'numeric', topic: 'other', cognitiveLevel: 1 }), { type: 'nonsense' }] } }), 200),
  },
  {
    action: 'item.import', actor: () => ids.author!, role: 'author', org: () => w.orgs.dep, target: () => expect.prefix('items:'),
    run: async () =>
      json(await w.author({ method: 'POST', url: '/api/items/import?format=aiken&subject=math&grade=12&topic=other&cognitiveLevel=1', headers: { 'content-type': 'text/plain' }, payload: 'Thủ đô của Việt Nam?\nA. Hà Nội\nB. Huế\nANSWER: A\n' }), 200),
  },
  {
    action: 'stimulus.create', actor: () => ids.author!, role: 'author', org: () => w.orgs.dep, target: () => expect.prefix('stimulus:'),
    run: () => makeStimulus(w, 'Đoạn văn'),
  },
  {
    action: 'blueprint.create', actor: () => ids.manager!, role: 'exam_manager', org: () => w.orgs.dep, target: () => `blueprint:${s.blueprint}`,
    run: async () =>
      (s.blueprint = json(await w.manager({ method: 'POST', url: '/api/blueprints', payload: { title: 'Ma trận', subject: 'math', grade: 12, sections: [{ title: 'I', type: 'single_choice', cells: [{ topic, cognitiveLevel: 1, count: 1 }] }, { title: 'II', type: 'essay', cells: [{ topic, cognitiveLevel: 1, count: 1 }] }] } }), 201).id),
  },
  {
    action: 'exam.create', actor: () => ids.manager!, role: 'exam_manager', org: () => w.orgs.dep, target: () => `exam:${s.exam}`,
    run: async () => {
      const now = Date.now();
      s.exam = json(await w.manager({ method: 'POST', url: '/api/exams', payload: { title: 'Kiểm tra', blueprintId: s.blueprint, formCount: 1, opensAt: new Date(now - 60_000).toISOString(), closesAt: new Date(now + 3600_000).toISOString(), durationMinutes: 45, candidateIds: w.candidateIds, showResults: 'after_submit' } }), 201).id;
    },
  },
  {
    action: 'exam.assemble', actor: () => ids.manager!, role: 'exam_manager', org: () => w.orgs.dep, target: () => `exam:${s.exam}`,
    run: async () => json(await w.manager({ method: 'POST', url: `/api/exams/${s.exam}/assemble` }), 200),
  },
  {
    action: 'exam.publish', actor: () => ids.manager!, role: 'exam_manager', org: () => w.orgs.dep, target: () => `exam:${s.exam}`,
    run: async () => json(await w.manager({ method: 'POST', url: `/api/exams/${s.exam}/publish` }), 200),
  },
  {
    action: 'exam.extension', actor: () => ids.proctor!, role: 'proctor', org: () => w.orgs.dep, target: () => `exam:${s.exam}`,
    run: async () => json(await w.proctor({ method: 'POST', url: `/api/exams/${s.exam}/extensions`, payload: { candidateId: w.candidateIds[0], extraMinutes: 10 } }), 200),
  },
  {
    action: 'item.update', actor: () => ids.author!, role: 'author', org: () => w.orgs.dep, target: () => `item:${choiceId}`,
    run: async () => {
      const item = json(await w.author({ method: 'GET', url: `/api/items/${choiceId}` }), 200);
      return json(await w.author({ method: 'PUT', url: `/api/items/${choiceId}`, payload: { ...item, stem: '<p>Lời mới, đáp án cũ</p>' } }), 200);
    },
  },
  {
    action: 'item.status', actor: () => ids.author!, role: 'author', org: () => w.orgs.dep, target: () => `item:${choiceId}`,
    run: async () => json(await w.author({ method: 'POST', url: `/api/items/${choiceId}/status`, payload: { status: 'in_review' } }), 200),
  },
  {
    action: 'item.status', actor: () => ids.reviewer!, role: 'reviewer', org: () => w.orgs.dep, target: () => `item:${choiceId}`,
    run: async () => json(await w.reviewer({ method: 'POST', url: `/api/items/${choiceId}/status`, payload: { status: 'approved' } }), 200),
  },
  {
    action: 'exam.repin', actor: () => ids.manager!, role: 'exam_manager', org: () => w.orgs.dep, target: () => `exam:${s.exam}`,
    run: async () => json(await w.manager({ method: 'POST', url: `/api/exams/${s.exam}/repin`, payload: { itemId: choiceId, revision: 2 } }), 200),
  },
  {
    action: 'exam.grading', actor: () => ids.manager!, role: 'exam_manager', org: () => w.orgs.dep, target: () => `exam:${s.exam}`,
    run: async () => {
      s.attempt = (await submitAttempts(app, s.exam!, w.candidateIds.slice(0, 1), (_i, item) => rightAnswer(item)))[0]!.attemptId;
      return json(await w.manager({ method: 'POST', url: `/api/exams/${s.exam}/grading`, payload: { mode: 'all' } }), 202);
    },
  },
  {
    action: 'result.grade_item', actor: () => ids.reviewer!, role: 'reviewer', org: () => w.orgs.dep, target: () => `attempt:${s.attempt}`,
    run: async () => json(await w.reviewer({ method: 'POST', url: `/api/attempts/${s.attempt}/items/${essayId}/grade`, payload: { points: 1, comment: 'Tốt' } }), 200),
  },
];

/** A target that only has to start with a prefix (ids made by the server). */
const expect = { prefix: (p: string) => `${p}*` };
const targetMatches = (want: string, got: string) => (want.endsWith('*') ? got.startsWith(want.slice(0, -1)) : got === want);

t.test('each audited action appends exactly one record with the right actor, role and organisation', async (t) => {
  for (const step of steps) {
    const before = await app.models.Audit.countDocuments();
    const since = new Date();
    await step.run();
    const records = await app.models.Audit.find({ at: { $gte: since } }).lean();
    t.equal(await app.models.Audit.countDocuments(), before + 1, `${step.action}: exactly one record`);
    const r = records[0];
    if (!r) continue;
    t.equal(r.action, step.action, `${step.action}: action`);
    t.equal(r.actorId, step.actor(), `${step.action}: actor`);
    t.equal(r.actorRole, step.role, `${step.action}: role used`);
    t.equal(r.actorOrgId, step.org(), `${step.action}: organisation of the role`);
    t.ok(targetMatches(step.target(), r.target), `${step.action}: target ${r.target}`);
    t.ok(r.requestId && r.ip, `${step.action}: request id and address`);
  }
  // Every chain written to is still whole.
  for (const chain of await app.models.Audit.distinct('chain')) t.same((await app.audit.verify(chain as string)).ok, true, `chain ${chain} verifies`);
});

t.test('a user changing their own password is recorded with no role', async (t) => {
  const token = await login(app, 'aw_new', 'password-123');
  const before = await app.models.Audit.countDocuments();
  json(await as(app, token)({ method: 'PATCH', url: `/api/users/${s.user}`, payload: { password: 'password-456', currentPassword: 'password-123' } }), 200);
  t.equal(await app.models.Audit.countDocuments(), before + 1);
  const r = (await app.models.Audit.find({ target: `user:${s.user}` }).sort({ at: -1 }).limit(1).lean())[0]!;
  t.match(r, { action: 'user.update', actorId: s.user, summary: { changed: ['password'], revoked: true } });
  t.equal(r.actorRole, undefined);
});
