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
}
