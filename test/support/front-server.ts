/**
 * The web client's servers for browser tests, around the REAL app listening
 * on a port: listenApp() puts the app on a free port, and frontServer() gives
 * the browser one origin whose API paths and /ws reach the real app while every
 * other path is the web client freshly compiled by buildWebClient (the real app
 * would serve dist/web, which other runs may be rebuilding).
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import webPlugin from '../../src/plugins/web.js';
import type { TestLike } from '../helper.js';

/** Listens on a free port and returns the app's base URL. */
export async function listenApp(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
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
