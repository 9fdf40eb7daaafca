/**
 * The world of the staff web client's end-to-end tests, built through the
 * public API like an administrator would, around the REAL app listening on
 * a port:
 *
 *   MOET ── SGD-HN (department: author+reviewer, reviewer, exam manager+proctor, seed author)
 *              └── THPT-A (school: candidates)
 *
 * The browser loads the web client freshly compiled by buildWebClient (the
 * real app would serve dist/web, which other runs may be rebuilding) through
 * frontServer(): one origin whose API paths and /ws reach the real app.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import webPlugin from '../../src/plugins/web.js';
import { adminSession, as, login, type TestLike } from '../helper.js';

export const STAFF_PASSWORD = 'staff-e2e-password-1';

export interface StaffUser {
  id: string;
  username: string;
  displayName: string;
  token: string;
}

export interface StaffWorld {
  url: string;
  orgs: { root: string; dep: string; school: string };
  /** Writes items and also reviews (to show that nobody reviews their own revision). */
  author: StaffUser;
  reviewer: StaffUser;
  /** Exam manager and proctor of the department. */
  manager: StaffUser;
  /** Fills the bank through the API so that four forms can differ. */
  seeder: StaffUser;
  candidates: (StaffUser & { studentId: string })[];
}

async function ok(res: { statusCode: number; body: string; json(): unknown }, status: number, what: string) {
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
  return res.json() as Record<string, unknown>;
}

/** Listens on a free port and returns the app's base URL. */
export async function listenApp(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

export async function staffWorld(app: FastifyInstance, url: string, candidateCount = 6): Promise<StaffWorld> {
  const admin = await adminSession(app);
  const asAdmin = as(app, admin.token);
  const org = async (code: string, name: string, kind: string, parentId: string) =>
    (await ok(await asAdmin({ method: 'POST', url: '/api/orgs', payload: { code, name, kind, parentId } }), 201, `org ${code}`)).id as string;
  const dep = await org('SGD-HN', 'Sở GD&ĐT Hà Nội', 'department', admin.rootId);
  const school = await org('THPT-A', 'THPT Chu Văn An', 'school', dep);
  const user = async (username: string, displayName: string, roles: { role: string; orgId: string }[], studentId?: string): Promise<StaffUser> => {
    const created = await ok(
      await asAdmin({ method: 'POST', url: '/api/users', payload: { username, password: STAFF_PASSWORD, displayName, roles, ...(studentId ? { studentId } : {}) } }),
      201,
      `user ${username}`,
    );
    return { id: created.id as string, username, displayName, token: await login(app, username, STAFF_PASSWORD) };
  };
  const author = await user('gv.toan', 'Nguyễn Thị Lan', [
    { role: 'author', orgId: dep },
    { role: 'reviewer', orgId: dep },
  ]);
  const reviewer = await user('tt.toan', 'Trần Văn Minh', [{ role: 'reviewer', orgId: dep }]);
  const manager = await user('ql.thi', 'Lê Hoàng Nam', [
    { role: 'exam_manager', orgId: dep },
    { role: 'proctor', orgId: dep },
  ]);
  const seeder = await user('gv.kho', 'Phạm Thu Hà', [{ role: 'author', orgId: dep }]);
  const candidates: StaffWorld['candidates'] = [];
  for (let i = 0; i < candidateCount; i++) {
    const studentId = `HS${String(i + 1).padStart(4, '0')}`;
    candidates.push({ ...(await user(`hs${i + 1}`, `Học sinh ${i + 1}`, [{ role: 'candidate', orgId: school }], studentId)), studentId });
  }
  return { url, orgs: { root: admin.rootId, dep, school }, author, reviewer, manager, seeder, candidates };
}

export interface SeedSpec {
  topic: string;
  cognitiveLevel: 1 | 2 | 3 | 4;
  count: number;
}

/**
 * Approved single-choice items written by the seeder and approved by the
 * reviewer through the API, with spread difficulties. Returns their ids.
 */
export async function seedApproved(app: FastifyInstance, world: StaffWorld, specs: SeedSpec[]): Promise<string[]> {
  const seeder = as(app, world.seeder.token);
  const reviewer = as(app, world.reviewer.token);
  const items = specs.flatMap((spec) =>
    Array.from({ length: spec.count }, (_, i) => ({
      type: 'single_choice',
      stem: `<p>Câu kho ${spec.topic} số ${i + 1}: giá trị của \\(${i + 2} + ${i + 3}\\) là</p>`,
      subject: 'math',
      grade: 12,
      topic: spec.topic,
      cognitiveLevel: spec.cognitiveLevel,
      difficulty: Math.round((0.3 + ((i * 7) % 10) / 20) * 100) / 100,
      options: [
        { id: 'A', text: String(2 * i + 5) },
        { id: 'B', text: String(2 * i + 6) },
        { id: 'C', text: String(2 * i + 4) },
        { id: 'D', text: 'Không xác định' },
      ],
      correct: ['A'],
    })),
  );
  const res = await ok(await seeder({ method: 'POST', url: '/api/items/bulk', payload: { items } }), 200, 'seed items');
  const ids = (res.results as { id?: string; error?: unknown }[]).map((r) => {
    if (!r.id) throw new Error(`seed item refused: ${JSON.stringify(r.error)}`);
    return r.id;
  });
  for (const id of ids) {
    await ok(await seeder({ method: 'POST', url: `/api/items/${id}/status`, payload: { status: 'in_review' } }), 200, 'to review');
    await ok(await reviewer({ method: 'POST', url: `/api/items/${id}/status`, payload: { status: 'approved' } }), 200, 'approve');
  }
  return ids;
}

/** Paths the real app answers; everything else is the web client's. */
const APP_PATHS = /^\/(api|ws|docs|static|health|ready|metrics)(\/|\?|$)/;

/**
 * One origin for the browser, as in production: a small reverse proxy that
 * sends API paths and the /ws upgrade to the real app and every other path to
 * src/plugins/web.ts serving `webRoot` (same headers, CSP included). Bodies,
 * streams, trailers and WebSocket frames pass through untouched.
 */
export async function frontServer(t: TestLike, appUrl: string, webRoot: string): Promise<string> {
  const client = Fastify({ logger: false });
  client.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url}`, details: [] } }));
  await client.register(webPlugin, { root: webRoot });
  await client.listen({ port: 0, host: '127.0.0.1' });
  const appPort = Number(new URL(appUrl).port);
  const clientPort = (client.server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    const port = APP_PATHS.test(req.url ?? '/') ? appPort : clientPort;
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on('data', (chunk: Buffer) => res.write(chunk));
      answer.on('end', () => {
        if (Object.keys(answer.trailers).length) res.addTrailers(answer.trailers);
        res.end();
      });
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = net.connect(appPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      socket.destroy();
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    agent.destroy();
    await client.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
