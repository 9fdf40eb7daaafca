import type { Session } from '../api.js';

/** What the router hands to a page. */
export interface PageContext {
  /** The page's container; the page owns its children. */
  root: HTMLElement;
  session: Session | null;
  /** Route parameters, e.g. `{ examId }` for /exam/:examId. */
  params: Record<string, string>;
  navigate(path: string, state?: Record<string, unknown>): void;
  /** Stores (or forgets) the signed-in session and re-renders the header. */
  setSession(session: Session | null): void;
  /** The token was refused: forget it and go to the login page with a message. */
  onUnauthenticated(): void;
}

/** Renders into `ctx.root`; returns what undoes it (timers, sockets, listeners). */
// biome-ignore lint/suspicious/noConfusingVoidType: a page returns its clean-up, or nothing at all.
export type Page = (ctx: PageContext) => (() => void) | void;
