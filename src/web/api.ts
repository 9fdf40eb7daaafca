/**
 * The HTTP side of the client: one fetch wrapper, one error class built from
 * the API's error body `{error: {code, message, details}}`, and the signed-in session kept on the device.
 */

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown[] };
}

/** Any failed call: a non-2xx answer (its error body) or no answer at all (`status` 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
}

export interface RoleGrant {
  role: string;
  orgId: string;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  roles: RoleGrant[];
}

export interface Session {
  token: string;
  user: User;
}

/** One row of `GET /api/my/exams`. */
export interface MyExam {
  id: string;
  title: string;
  opensAt: string;
  closesAt: string;
  durationMinutes: number;
  status: string;
  /** The candidate's attempt, once they joined. */
  attemptId?: string | null;
}

/** An item's feedback in a result, as the exam releases it: the general text, the outcome's, the picked options', the hints. */
export interface ResultFeedback {
  general?: string;
  outcome?: string;
  options?: { text: string; feedback: string }[];
  hints?: string[];
}

/** `GET /api/attempts/:id/result` as the candidate sees it (never the key). */
export interface AttemptResult {
  attemptId: string;
  examId: string;
  score: number;
  maxScore: number;
  score10: number;
  status: string;
  gradedAt: string;
  version: number;
  /** Adaptive exams: the ability estimate θ and its standard error (logits), the operational items answered. */
  adaptive?: { theta: number; se: number; length: number; stop: string | null };
  /** Points per item: only once the exam has closed. */
  perItem?: { number: number; itemId: string; points: number; maxPoints: number; status: 'scored' | 'pending'; comment?: string; feedback?: ResultFeedback }[];
  /** While `perItem` is held back: when it is shown. */
  perItemFrom?: string;
  scoreChanged?: boolean;
  scoreChanges?: { at: string; cause: 'regrade' | 'manual_grade'; before: { score: number; score10: number }; after: { score: number; score10: number } }[];
}

const SESSION_KEY = 'exam-engine:session';

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Session>;
    return typeof value.token === 'string' && value.user && typeof value.user.id === 'string' ? (value as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  localStorage.removeItem(SESSION_KEY);
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (!value || typeof value !== 'object') return false;
  const error = (value as { error?: unknown }).error;
  return !!error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string';
}

/**
 * Calls the API. Resolves with the parsed JSON body (undefined for 204);
 * rejects with ApiError for anything else.
 */
export async function request<T>(method: string, path: string, options: { body?: unknown; token?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : 'Network error');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    if (isErrorBody(body)) throw new ApiError(response.status, body.error.code, body.error.message, body.error.details ?? []);
    throw new ApiError(response.status, 'http_error', `HTTP ${response.status}`);
  }
  return body as T;
}

export function login(username: string, password: string): Promise<Session> {
  return request<Session>('POST', '/api/auth/login', { body: { username, password } });
}

export function logout(token: string): Promise<void> {
  return request<void>('POST', '/api/auth/logout', { token });
}

export async function myExams(token: string): Promise<MyExam[]> {
  const body = await request<MyExam[] | { exams: MyExam[] }>('GET', '/api/my/exams', { token });
  return Array.isArray(body) ? body : body.exams;
}

export function attemptResult(token: string, attemptId: string): Promise<AttemptResult> {
  return request<AttemptResult>('GET', `/api/attempts/${encodeURIComponent(attemptId)}/result`, { token });
}
