/**
 * A TCP proxy in front of a server (the database, in fault tests) that can be
 * cut: every open connection is reset and new ones are refused until it is
 * restored, as when the network to the database drops.
 */
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<net.Socket>();
  private down = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    const server = net.createServer((client) => {
      if (this.down) {
        client.resetAndDestroy();
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.pairs.add(client);
      this.pairs.add(upstream);
      const forget = () => {
        this.pairs.delete(client);
        this.pairs.delete(upstream);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', forget).on('close', forget);
      upstream.on('error', forget).on('close', forget);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Resets every connection and refuses new ones until {@link restore}. */
  cut(): void {
    this.down = true;
    for (const s of this.pairs) s.resetAndDestroy();
    this.pairs.clear();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
