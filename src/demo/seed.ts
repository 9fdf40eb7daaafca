/**
 * Demo data for `npm start`, written through the public HTTP API as a real
 * administrator would, so it exercises the same paths as users. Idempotent:
 * what already exists is left as it is.
 */

export const DEMO_PASSWORD = 'demo-2025!';

interface OrgSpec {
  code: string;
  name: string;
  kind: 'department' | 'office' | 'school';
  parent: string;
}

const ORGS: OrgSpec[] = [
  { code: 'SGD-HN', name: 'Sở Giáo dục và Đào tạo Hà Nội', kind: 'department', parent: 'ROOT' },
  { code: 'PGD-CG', name: 'Phòng Giáo dục và Đào tạo Cầu Giấy', kind: 'office', parent: 'SGD-HN' },
  { code: 'THPT-CG', name: 'Trường THPT Cầu Giấy', kind: 'school', parent: 'PGD-CG' },
  { code: 'THPT-YH', name: 'Trường THPT Yên Hòa', kind: 'school', parent: 'PGD-CG' },
];

export interface DemoUser {
  username: string;
  displayName: string;
  role: string;
  org: string;
  studentId?: string;
}

export const DEMO_USERS: DemoUser[] = [
  { username: 'sgd.admin', displayName: 'Quản trị Sở GD&ĐT Hà Nội', role: 'admin', org: 'SGD-HN' },
  { username: 'gv.toan', displayName: 'Cô Nguyễn Thị Hoa (Toán)', role: 'author', org: 'THPT-CG' },
  { username: 'gv.toan2', displayName: 'Thầy Lê Văn Minh (Toán)', role: 'author', org: 'THPT-YH' },
  { username: 'tt.toan', displayName: 'Thầy Trần Quốc Bảo (tổ trưởng Toán)', role: 'reviewer', org: 'PGD-CG' },
  { username: 'ql.thi', displayName: 'Cô Phạm Thu Trang (quản lý thi)', role: 'exam_manager', org: 'THPT-CG' },
  { username: 'hd.thi', displayName: 'Hội đồng thi Sở GD&ĐT Hà Nội', role: 'exam_board', org: 'SGD-HN' },
  { username: 'gt.phong1', displayName: 'Thầy Đỗ Đức Anh (giám thị)', role: 'proctor', org: 'THPT-CG' },
  ...Array.from({ length: 5 }, (_, i) => ({
    username: `hs${String(i + 1).padStart(3, '0')}`,
    displayName: ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Hoàng Cường', 'Phạm Ngọc Dung', 'Đặng Quang Đức'][i]!,
    role: 'candidate',
    org: 'THPT-CG',
    studentId: `01200${String(i + 1).padStart(5, '0')}`,
  })),
];

async function call(base: string, token: string | null, method: string, url: string, body?: unknown) {
  const res = await fetch(base + url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export async function seedDemo(base: string, admin: { username: string; password: string }): Promise<void> {
  const login = await call(base, null, 'POST', '/api/auth/login', admin);
  if (login.status !== 200) throw new Error(`demo seed: admin login failed (${login.status})`);
  const token: string = login.body.token;
  const rootId: string = login.body.user.roles[0].orgId;
  const ids = new Map<string, string>([['ROOT', rootId]]);

  for (const org of ORGS) {
    const parentId = ids.get(org.parent)!;
    const created = await call(base, token, 'POST', '/api/orgs', { code: org.code, name: org.name, kind: org.kind, parentId });
    if (created.status === 201) ids.set(org.code, created.body.id);
    else {
      const children = await call(base, token, 'GET', `/api/orgs?parentId=${parentId}`);
      const found = children.body.orgs.find((o: { code: string }) => o.code === org.code);
      if (!found) throw new Error(`demo seed: organisation ${org.code}: ${created.status}`);
      ids.set(org.code, found.id);
    }
  }

  const rows = DEMO_USERS.map((u) => ({
    username: u.username,
    password: DEMO_PASSWORD,
    displayName: u.displayName,
    ...(u.studentId ? { studentId: u.studentId } : {}),
    roles: [{ role: u.role, orgId: ids.get(u.org)! }],
  }));
  const bulk = await call(base, token, 'POST', '/api/users/bulk', { users: rows });
  const unexpected = (bulk.body?.failed ?? []).filter((f: { error: { code: string } }) => f.error.code !== 'duplicate_username');
  if (bulk.status !== 200 || unexpected.length) throw new Error(`demo seed: users: ${JSON.stringify(bulk.body)}`);

  await seedExam(base);
}

async function loginAs(base: string, username: string): Promise<string> {
  const res = await call(base, null, 'POST', '/api/auth/login', { username, password: DEMO_PASSWORD });
  if (res.status !== 200) throw new Error(`demo seed: login ${username}: ${res.status}`);
  return res.body.token;
}

function must(res: { status: number; body: unknown }, status: number, what: string) {
  if (res.status !== status) throw new Error(`demo seed: ${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body as Record<string, unknown>;
}

/** A small approved maths bank in the 2025 format and one open exam for the demo candidates. */
async function seedExam(base: string): Promise<void> {
  const author = await loginAs(base, 'gv.toan');
  const existing = await call(base, author, 'GET', '/api/items?limit=1');
  if (existing.status === 200 && (existing.body.items ?? []).length > 0) return;
  const reviewer = await loginAs(base, 'tt.toan');
  const manager = await loginAs(base, 'ql.thi');

  const common = { subject: 'math', grade: 12, language: 'vi', sharing: 'subtree' };
  const items: Record<string, unknown>[] = [];
  for (const [topic, name] of [['ham-so', 'hàm số'], ['tich-phan', 'tích phân']] as const) {
    for (let i = 1; i <= 4; i++) {
      items.push({
        ...common, type: 'single_choice', topic, cognitiveLevel: i <= 2 ? 1 : 2,
        // No "Câu N" in the text: the form numbers and shuffles the questions itself.
        stem: `<p>Bài toán về ${name}: giá trị của \\(${i} + ${i}\\) bằng</p>`,
        options: [{ id: 'A', text: String(2 * i) }, { id: 'B', text: String(2 * i + 1) }, { id: 'C', text: String(i) }, { id: 'D', text: 'Không xác định', fixed: true }],
        correct: ['A'],
      });
    }
    items.push({
      ...common, type: 'true_false_cluster', topic, cognitiveLevel: 2,
      stem: `<p>Cho hàm số \\(f(x) = x^2 - 4x + 3\\). Xét tính đúng sai của các mệnh đề (${name}):</p>`,
      statements: [
        { id: 'a', text: 'Đồ thị đi qua điểm (1; 0).' },
        { id: 'b', text: 'Hàm số đồng biến trên ℝ.' },
        { id: 'c', text: 'Giá trị nhỏ nhất của hàm số là −1.' },
        { id: 'd', text: '\\(f(3) = 1\\).' },
      ],
      values: { a: true, b: false, c: true, d: false },
    });
    items.push({
      ...common, type: 'numeric', topic, cognitiveLevel: 3,
      stem: `<p>Tính \\(\\int_0^1 3x^2\\,dx\\) (${name}).</p>`, value: 1, tolerance: 0.01,
    });
  }
  const created = must(await call(base, author, 'POST', '/api/items/bulk', { items }), 200, 'items');
  const ids = (created.results as { id?: string }[]).map((r) => r.id).filter((id): id is string => Boolean(id));
  for (const id of ids) {
    must(await call(base, author, 'POST', `/api/items/${id}/status`, { status: 'in_review' }), 200, 'to review');
    must(await call(base, reviewer, 'POST', `/api/items/${id}/status`, { status: 'approved' }), 200, 'approve');
  }

  const blueprint = must(await call(base, manager, 'POST', '/api/blueprints', {
    title: 'Toán 12 – Kiểm tra thử (demo)', subject: 'math', grade: 12, durationMinutes: 45,
    sections: [
      { title: 'Phần I', type: 'single_choice', pointsPerItem: 0.5, shuffleItems: true, shuffleOptions: true,
        cells: [{ topic: 'ham-so', cognitiveLevel: 1, count: 1 }, { topic: 'tich-phan', cognitiveLevel: 1, count: 1 }, { topic: 'ham-so', cognitiveLevel: 2, count: 1 }, { topic: 'tich-phan', cognitiveLevel: 2, count: 1 }] },
      { title: 'Phần II', type: 'true_false_cluster', pointsPerItem: 1, cells: [{ topic: 'ham-so', cognitiveLevel: 2, count: 1 }, { topic: 'tich-phan', cognitiveLevel: 2, count: 1 }] },
      { title: 'Phần III', type: 'numeric', pointsPerItem: 1, cells: [{ topic: 'ham-so', cognitiveLevel: 3, count: 1 }, { topic: 'tich-phan', cognitiveLevel: 3, count: 1 }] },
    ],
    constraints: { maxItemOverlap: 1, difficultyTolerance: 0.2 },
  }), 201, 'blueprint');

  await publishDemoExam(base, manager, String(blueprint.id), DEMO_EXAM_TITLE);
}

/** The demo exam's title; later sittings (`npm run demo:reset`) add "– lần N". */
export const DEMO_EXAM_TITLE = 'Toán 12 – Kiểm tra thử (demo)';

/** Creates, assembles and publishes a demo exam on `blueprintId`, open for a week to the demo candidates; returns its id. */
async function publishDemoExam(base: string, manager: string, blueprintId: string, title: string): Promise<string> {
  const candidateIds: string[] = [];
  for (const u of DEMO_USERS.filter((d) => d.role === 'candidate')) {
    const me = must(await call(base, await loginAs(base, u.username), 'GET', '/api/me'), 200, 'candidate');
    candidateIds.push(String(me.id));
  }
  const now = Date.now();
  const exam = must(await call(base, manager, 'POST', '/api/exams', {
    title, blueprintId, formCount: 2,
    opensAt: new Date(now - 60_000).toISOString(), closesAt: new Date(now + 7 * 24 * 3600_000).toISOString(),
    durationMinutes: 45, candidateIds, showResults: 'after_submit',
  }), 201, 'exam');
  must(await call(base, manager, 'POST', `/api/exams/${exam.id}/assemble`, {}), 200, 'assemble');
  must(await call(base, manager, 'POST', `/api/exams/${exam.id}/publish`, {}), 200, 'publish');
  return String(exam.id);
}

/**
 * `npm run demo:reset`: a new sitting of the demo exam, so the demo
 * candidates can sit it again. Sittings already handed in stay, with their
 * results; nothing is deleted. Written through the public API as the demo's
 * exam manager, against the running demo at `base`.
 */
export async function newDemoSitting(base: string): Promise<{ examId: string; title: string }> {
  const manager = await loginAs(base, 'ql.thi');
  const blueprints = must(await call(base, manager, 'GET', '/api/blueprints?limit=100'), 200, 'blueprints').blueprints as { id: string; title: string }[];
  const blueprint = blueprints.find((b) => b.title === DEMO_EXAM_TITLE);
  if (!blueprint) throw new Error('demo reset: the demo blueprint is missing; start the demo with `npm start` first');
  const exams: { title: string }[] = [];
  for (let cursor: string | null = null, first = true; first || cursor; first = false) {
    const page = must(await call(base, manager, 'GET', `/api/exams?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`), 200, 'exams');
    exams.push(...(page.exams as { title: string }[]));
    cursor = (page.nextCursor as string | null) ?? null;
  }
  const sittings = exams.filter((e) => e.title.startsWith(DEMO_EXAM_TITLE)).length;
  const title = `${DEMO_EXAM_TITLE} – lần ${sittings + 1}`;
  return { examId: await publishDemoExam(base, manager, blueprint.id, title), title };
}
