/**
 * The server's clock as seen from the browser. The countdown never reads the
 * device clock's absolute value (it may be wrong or changed mid-exam): it
 * takes `serverNow` from the last `state`/`time` message and adds the
 * monotonic time elapsed since that message arrived.
 */
export class ServerClock {
  private serverAt = Number.NaN;
  private localAt = 0;
  private deadline = Number.NaN;

  /** Applies `endsAt` and `serverNow` of a state or time message. */
  sync(endsAt: string, serverNow: string): void {
    const now = Date.parse(serverNow);
    const ends = Date.parse(endsAt);
    if (Number.isFinite(now)) {
      this.serverAt = now;
      this.localAt = performance.now();
    }
    if (Number.isFinite(ends)) this.deadline = ends;
  }

  /** The server's current time in ms since the epoch (NaN before the first sync). */
  now(): number {
    return this.serverAt + (performance.now() - this.localAt);
  }

  get endsAt(): number {
    return this.deadline;
  }

  /** Milliseconds left until the deadline, never below 0 (NaN before the first sync). */
  remainingMs(): number {
    return Math.max(0, this.deadline - this.now());
  }
}

/** `h:mm:ss` or `mm:ss` of a duration, rounded up to the second so 0:00 means time is up. */
export function formatRemaining(ms: number): string {
  if (!Number.isFinite(ms)) return '--:--';
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mmss = `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}
