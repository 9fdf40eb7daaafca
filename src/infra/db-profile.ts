/**
 * Optional per-process profile of database commands, for load runs: with
 * `DB_PROFILE=<file>` every command's time (as the driver saw it) is summed
 * by command and collection, and the table is written to `<file>.<pid>.json`
 * every few seconds and at exit. Costs nothing when unset.
 */
import { writeFileSync } from 'node:fs';
import type { Connection } from 'mongoose';

interface Row {
  count: number;
  ms: number;
  maxMs: number;
}

export function profileCommands(conn: Connection, file = process.env.DB_PROFILE): void {
  if (!file) return;
  const client = conn.getClient();
  const rows = new Map<string, Row>();
  const started = new Map<number, string>();
  client.on('commandStarted', (e) => {
    const cmd = e.command as Record<string, unknown>;
    const coll = typeof cmd[e.commandName] === 'string' ? (cmd[e.commandName] as string) : '';
    started.set(e.requestId, `${e.commandName} ${coll}`.trim());
  });
  const done = (e: { requestId: number; duration: number }) => {
    const key = started.get(e.requestId) ?? '?';
    started.delete(e.requestId);
    const row = rows.get(key) ?? { count: 0, ms: 0, maxMs: 0 };
    row.count++;
    row.ms += e.duration;
    row.maxMs = Math.max(row.maxMs, e.duration);
    rows.set(key, row);
  };
  client.on('commandSucceeded', done);
  client.on('commandFailed', done);
  const out = `${file}.${process.pid}.json`;
  const write = () => {
    const table = [...rows].sort((a, b) => b[1].ms - a[1].ms).map(([k, r]) => ({ command: k, count: r.count, totalMs: Math.round(r.ms), avgMs: Math.round((r.ms / r.count) * 10) / 10, maxMs: Math.round(r.maxMs) }));
    writeFileSync(out, JSON.stringify({ pid: process.pid, argv: process.argv.slice(1), table }, null, 1));
  };
  setInterval(write, 5000).unref();
  process.on('exit', write);
}
