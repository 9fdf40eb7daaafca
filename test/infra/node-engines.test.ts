// Every installed package accepts the oldest Node.js the project says it runs on,
// so `npm install` on Node 20 prints no EBADENGINE warning and nothing needs a newer runtime.
import { readFileSync } from 'node:fs';
import t from 'tap';
import semver from 'semver';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: unknown }>;
};

t.test('the project supports Node 20', async (t) => {
  t.ok(semver.satisfies('20.20.0', pkg.engines.node), `engines.node ${pkg.engines.node} includes Node 20`);
});

t.test('every locked package runs on the oldest supported Node', async (t) => {
  const oldest = semver.minVersion(pkg.engines.node)!.version;
  const refused: string[] = [];
  for (const [where, entry] of Object.entries(lock.packages)) {
    const range = typeof entry.engines === 'object' && entry.engines ? (entry.engines as { node?: unknown }).node : undefined;
    if (typeof range === 'string' && !semver.satisfies(oldest, range)) refused.push(`${where}@${entry.version} wants node ${range}`);
  }
  t.same(refused, [], `all packages accept Node ${oldest}`);
});
