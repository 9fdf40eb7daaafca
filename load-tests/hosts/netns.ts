/**
 * Hosts on one machine for `npm run faults:hosts`: each host is a network
 * namespace with one veth pair, its outer end on a bridge in the root
 * namespace, on a private /24 this module picks after checking that no
 * interface or route of the root namespace uses it. The root namespace is
 * the network's `.1` (the load generator and nginx live there).
 *
 * Faults use `ip` alone (no iptables or nft): a partition of one host from
 * another is a blackhole route in the first host's namespace (packets to the
 * other are dropped without an answer, as on a cut link, and TCP connections
 * stay open and retransmit until it is removed); the loss of a host's network
 * is its veth's outer end set down.
 *
 * Everything created is removed by `teardown()`, which also runs on exit and
 * on SIGINT/SIGTERM (it kills what still runs inside the namespaces first).
 * Needs root and iproute2.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The third octet of a free 10.213.x.0/24: no address or route of the root namespace falls in it. */
export function pickSubnet(taken: string = ip('-4', '-o', 'addr', 'show') + ip('-4', 'route', 'show', 'table', 'all')): string {
  const used = new Set<number>();
  for (const m of taken.matchAll(/\b10\.213\.(\d{1,3})\.\d{1,3}(?:\/(\d{1,2}))?/g)) {
    const bits = m[2] === undefined ? 32 : Number(m[2]);
    // A route or address wider than a /24 inside 10.213/16 blocks the whole /16.
    if (bits < 24) return pickOutside();
    used.add(Number(m[1]));
  }
  if (/\b10\.0\.0\.0\/8\b|\b10\.213\.0\.0\/16\b/.test(taken)) return pickOutside();
  // From a random start, every octet 20-249 once.
  const start = randomBytes(1)[0]!;
  for (let i = 0; i < 230; i++) {
    const octet = 20 + ((start + i) % 230);
    if (!used.has(octet)) return `10.213.${octet}`;
  }
  return pickOutside();
}

function pickOutside(): never {
  throw new Error('10.213.0.0/16 is in use on this machine: no private /24 left that this harness may take');
}

export interface Host {
  name: string;
  /** Its namespace. */
  ns: string;
  address: string;
  /** The veth's end in the root namespace (on the bridge). */
  outer: string;
}

/** A small network of namespaces; `teardown()` (also on exit and signals) removes it all. */
export class Network {
  readonly tag = `xh${randomBytes(2).toString('hex')}`;
  readonly bridge = `${this.tag}br`;
  readonly prefix: string;
  readonly gateway: string;
  readonly hosts = new Map<string, Host>();
  private readonly blackholes: [Host, Host][] = [];
  private torn = false;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.teardown();
    process.kill(process.pid, signal);
  };
  private readonly onExit = () => this.teardown();

  constructor() {
    this.prefix = pickSubnet();
    this.gateway = `${this.prefix}.1`;
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    process.once('exit', this.onExit);
    try {
      ip('link', 'add', this.bridge, 'type', 'bridge');
      ip('addr', 'add', `${this.gateway}/24`, 'dev', this.bridge);
      ip('link', 'set', this.bridge, 'up');
    } catch (err) {
      this.teardown();
      throw err;
    }
  }

  /** Adds a host at `.octet` named `name` (≤ 4 characters: it goes into interface names). */
  add(name: string, octet: number): Host {
    if (!/^[a-z0-9]{1,4}$/.test(name)) throw new Error(`host name ${name}: 1-4 lowercase letters or digits`);
    const host: Host = { name, ns: `${this.tag}-${name}`, address: `${this.prefix}.${octet}`, outer: `${this.tag}${name}` };
    this.hosts.set(name, host);
    const inner = `${host.outer}i`;
    ip('netns', 'add', host.ns);
    ip('link', 'add', host.outer, 'type', 'veth', 'peer', 'name', inner);
    ip('link', 'set', inner, 'netns', host.ns);
    ip('-n', host.ns, 'link', 'set', inner, 'name', 'eth0');
    ip('-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
    ip('-n', host.ns, 'link', 'set', 'eth0', 'up');
    ip('-n', host.ns, 'link', 'set', 'lo', 'up');
    ip('link', 'set', host.outer, 'master', this.bridge, 'up');
    return host;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** The command prefix that runs a program on `host`. */
  exec(host: Host): string[] {
    return ['ip', 'netns', 'exec', host.ns];
  }

  /** `from` can no longer reach `to` (its packets to it are dropped) until `heal`. */
  partition(from: Host, to: Host): void {
    ip('-n', from.ns, 'route', 'add', 'blackhole', `${to.address}/32`);
    this.blackholes.push([from, to]);
  }

  heal(from: Host, to: Host): void {
    ip('-n', from.ns, 'route', 'del', 'blackhole', `${to.address}/32`);
    const i = this.blackholes.findIndex(([f, t]) => f === from && t === to);
    if (i >= 0) this.blackholes.splice(i, 1);
  }

  /** The host's link up or down (down: it is off the network, its processes keep running). */
  link(host: Host, up: boolean): void {
    ip('link', 'set', host.outer, up ? 'up' : 'down');
  }

  /** Pids of the processes running in the host's namespace. */
  pids(host: Host): number[] {
    try {
      return ip('netns', 'pids', host.ns).split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Kills what still runs in the namespaces, deletes them (and their veths) and the bridge. Idempotent. */
  teardown(): void {
    if (this.torn) return;
    this.torn = true;
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('exit', this.onExit);
    for (const host of this.hosts.values()) {
      for (const pid of this.pids(host)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    for (const host of this.hosts.values()) {
      try {
        ip('netns', 'del', host.ns);
      } catch {
        // Never created, or already gone.
      }
      try {
        ip('link', 'del', host.outer);
      } catch {
        // Went with its namespace's end.
      }
    }
    try {
      ip('link', 'del', this.bridge);
    } catch {
      // Never created.
    }
  }

  /** What is left of this network (names of namespaces and links): empty after teardown. */
  leftovers(): string[] {
    const ns = ip('netns', 'list').split('\n').filter((l) => l.startsWith(this.tag));
    const links = ip('-o', 'link', 'show').split('\n').filter((l) => l.includes(this.tag));
    return [...ns, ...links.map((l) => l.split(':')[1]!.trim())];
  }
}
