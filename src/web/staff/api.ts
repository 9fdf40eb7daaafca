/**
 * The staff app's side of the HTTP API (docs/api.md): typed calls over the same
 * fetch wrapper and error class as the student client, plus file upload
 * (raw body) and download (a blob saved through a temporary link), which
 * need the bearer token and so cannot be plain links.
 */
import { ApiError, request, type Session } from '../api.js';
import type { AssembleSummary, BlueprintView, CellAvailability, FormSummary, ManagerFormItem, ManagerFormView, NewBlueprint, NewExam, ExamView } from '../../contracts/exams.js';
import type { AnyClozeBlank, ItemDraft, ItemPage, NewStimulus, StimulusSummary, StimulusView, ItemServerFields, NamedPeople, ItemStatus, ItemView } from '../../contracts/items.js';
import type { AnalysisReport, OptionAnalysis, ReportItem, WriteBackOutcome } from '../../contracts/analysis.js';
import type { JobView, ManualQueue, ManualTask } from '../../contracts/grading.js';
import type { ImportReport } from '../../contracts/imports.js';
import type { Extension, MonitorRow } from '../../contracts/live.js';
import type { BulkUsersResult, NewUser, OrgView } from '../../contracts/people.js';
import type { ResultRow, SectorSync } from '../../contracts/results.js';
import type { ExamSearch, ItemSearch, StimulusSearch } from '../../contracts/list-queries.js';

// Shapes the server shares (src/contracts); the staff pages import them from here.
export type { Choice, CognitiveLevel, ItemPage, ItemStats, ItemStatus, ItemView, Labelled, RubricRow, Sharing, StatusEvent } from '../../contracts/items.js';
export type { BlueprintCell, BlueprintSection, CellAvailability, FormSummary, NewBlueprint, NewExam, ShowResults } from '../../contracts/exams.js';
export type { ResultRow, SectorSync } from '../../contracts/results.js';
export type { BulkUsersResult } from '../../contracts/people.js';
export type { Extension, MonitorRow } from '../../contracts/live.js';
export type { JobFailure, ManualTask } from '../../contracts/grading.js';
export type { ExamSearch, ItemSearch, StimulusSearch } from '../../contracts/list-queries.js';
/** A blueprint as the server answers it. */
export type Blueprint = BlueprintView;
/** What assembling an exam answers. */
export type AssembleResult = AssembleSummary;

/** One blank of a cloze item as the editor holds it (either kind). */
export type ClozeBlank = AnyClozeBlank;

/** The authored content of an item as one editor holds any type: each type's own fields optional. */
export type ItemContent = ItemDraft;

/** Fields of an item answer that belong to the server, not to the content. */
export const SERVER_FIELDS = ['id', 'revision', 'status', 'ownerOrgId', 'authorId', 'createdAt', 'createdBy', 'latestRevision', 'approvedRevision', 'keyIncluded', 'stats', 'statusLog', 'lastReview', 'people'] as const satisfies readonly (keyof (ItemServerFields & NamedPeople))[];

/** A passage as the server lists it, or opened with its items. */
export type Stimulus = StimulusSummary & Partial<Pick<StimulusView, 'items'>>;

/** What an import answers. */
export type ImportResult = ImportReport;

/** An organisation as the server answers it. */
export type Org = OrgView;

/** An exam as the server shows it to the caller. */
export type Exam = ExamView;

/** An item of a form as exam managers read it: content with the key, in delivery order. */
export type FormItem = ManagerFormItem;
/** A form as exam managers read it. */
export type ManagerForm = ManagerFormView;

/** A background job as the page follows it. */
export type Job = JobView;

/** One option's figures in the analysis report. */
export type OptionStats = OptionAnalysis;
/** One item of the analysis report. */
export type ItemAnalysis = ReportItem;
/** The analysis report. */
export type Analysis = AnalysisReport;
/** What POST /api/exams/:id/analysis/write-back wrote to the bank. */
export type AnalysisWriteBack = WriteBackOutcome;

/** A row of a roster upload (POST /api/users/bulk). */
export type NewUserRow = NewUser;

type Query = Record<string, string | number | boolean | null | undefined>;

/** What this server offers, read once from its OpenAPI document (GET /docs/json). */
export interface ServerFeatures {
  /** Whether `METHOD /path` exists; paths in OpenAPI form, e.g. `/api/exams/{id}/grading`. */
  has(method: string, path: string): boolean;
  /** Whether POST /api/items/:id/status stores a reviewer's comment. */
  reviewComment: boolean;
}

interface OpenApiDoc {
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }>>;
}

let features: Promise<ServerFeatures> | null = null;

/**
 * The routes the server publishes. Parts of the API land at different times;
 * pages ask before calling so that a missing route is explained, not failed.
 * When the document cannot be read, everything is assumed present.
 */
export function serverFeatures(): Promise<ServerFeatures> {
  features ??= fetch('/docs/json', { headers: { accept: 'application/json' } })
    .then(async (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const doc = (await response.json()) as OpenApiDoc;
      const paths = doc.paths ?? {};
      const status = paths['/api/items/{id}/status']?.post?.requestBody?.content?.['application/json']?.schema?.properties;
      // Parameter names do not matter: /api/jobs/{id} and /api/jobs/{jobId} are the same route.
      const shape = (path: string) => path.replace(/\{[^}]*\}/g, '{}');
      const routes = new Set<string>();
      for (const [path, methods] of Object.entries(paths)) for (const method of Object.keys(methods)) routes.add(`${method.toLowerCase()} ${shape(path)}`);
      return {
        has: (method: string, path: string) => routes.has(`${method.toLowerCase()} ${shape(path)}`),
        reviewComment: !!status && 'comment' in status,
      };
    })
    .catch(() => ({ has: () => true, reviewComment: true }));
  return features;
}

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(response.status, error.code, String(error.message ?? ''), Array.isArray(error.details) ? error.details : []);
  }
  return new ApiError(response.status, 'http_error', `HTTP ${response.status}`);
}

/** Filename from Content-Disposition, else the fallback. */
function filenameOf(response: Response, fallback: string): string {
  const header = response.headers.get('content-disposition') ?? '';
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header);
  return match ? decodeURIComponent(match[1]!) : fallback;
}

/**
 * Calls the API as the signed-in staff member. A refused token (401) calls
 * `onUnauthenticated` once and still rejects, so pages stop what they do.
 */
export class StaffApi {
  constructor(
    private readonly session: Session,
    private readonly onUnauthenticated: () => void,
  ) {}

  get userId(): string {
    return this.session.user.id;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await request<T>(method, path, { token: this.session.token, body });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.onUnauthenticated();
      throw err;
    }
  }

  private async raw(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(path, { ...init, method, headers: { authorization: `Bearer ${this.session.token}`, ...(init.headers ?? {}) } });
    } catch (err) {
      throw new ApiError(0, 'network_error', err instanceof Error ? err.message : 'Network error');
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (error.status === 401) this.onUnauthenticated();
      throw error;
    }
    return response;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>('GET', path + queryString(query));
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  /** The body as text (the printable form). */
  async text(path: string, query?: Query): Promise<string> {
    const response = await this.raw('GET', path + queryString(query), { headers: { accept: 'text/html' } });
    return response.text();
  }

  /** Fetches a file with the token and hands it to the browser as a download. Returns its name. */
  async download(path: string, query: Query, fallbackName: string): Promise<string> {
    const response = await this.raw('GET', path + queryString(query));
    const name = filenameOf(response, fallbackName);
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    // The browser has taken the blob once click() returns; free it after this turn.
    setTimeout(() => URL.revokeObjectURL(url), 0);
    return name;
  }

  /** Sends a file as the raw request body. */
  /**
   * POST a file as the raw body, or, with more than one file, as multipart
   * fields (`file` first); the browser writes the multipart boundary itself.
   */
  async upload<T>(path: string, query: Query, file: Blob, more: Record<string, Blob> = {}): Promise<T> {
    const extra = Object.entries(more);
    let init: { body: Blob | FormData; headers: Record<string, string> };
    if (extra.length === 0) {
      init = { body: file, headers: { 'content-type': file.type || 'application/octet-stream', accept: 'application/json' } };
    } else {
      const form = new FormData();
      form.append('file', file);
      for (const [field, blob] of extra) form.append(field, blob);
      init = { body: form, headers: { accept: 'application/json' } };
    }
    const response = await this.raw('POST', path + queryString(query), init);
    return (await response.json()) as T;
  }

  // ------------------------------------------------------------------ bank

  searchItems(query: ItemSearch): Promise<ItemPage> {
    return this.get<ItemPage>('/api/items', { ...query });
  }

  item(id: string, revision?: number): Promise<ItemView> {
    return this.get<ItemView>(`/api/items/${encodeURIComponent(id)}`, { revision });
  }

  createItem(content: ItemContent): Promise<ItemView> {
    return this.post<ItemView>('/api/items', content);
  }

  updateItem(id: string, content: ItemContent, revision: number): Promise<ItemView> {
    return this.put<ItemView>(`/api/items/${encodeURIComponent(id)}`, { ...content, revision });
  }

  setStatus(id: string, status: ItemStatus, revision?: number, comment?: string): Promise<ItemView> {
    const body: Record<string, unknown> = { status };
    if (revision !== undefined) body.revision = revision;
    if (comment) body.comment = comment;
    return this.post<ItemView>(`/api/items/${encodeURIComponent(id)}/status`, body);
  }

  createStimulus(body: NewStimulus): Promise<StimulusView> {
    return this.post<StimulusView>('/api/stimuli', body);
  }

  stimulus(id: string): Promise<StimulusView> {
    return this.get<StimulusView>(`/api/stimuli/${encodeURIComponent(id)}`);
  }

  stimuli(query: StimulusSearch): Promise<{ stimuli: StimulusSummary[]; nextCursor: string | null }> {
    return this.get<{ stimuli: StimulusSummary[]; nextCursor: string | null }>('/api/stimuli', { ...query });
  }

  updateStimulus(id: string, body: NewStimulus, revision: number): Promise<StimulusView> {
    return this.put<StimulusView>(`/api/stimuli/${encodeURIComponent(id)}`, { ...body, revision });
  }

  /** Imports a file; a Word paper may come with its separate answer-key document ("đáp án"). */
  importItems(format: string, file: Blob, defaults: Query = {}, answerKey?: Blob): Promise<ImportResult> {
    return this.upload<ImportResult>('/api/items/import', { ...defaults, format }, file, answerKey ? { answerKey } : {});
  }

  org(id: string): Promise<Org> {
    return this.get<Org>(`/api/orgs/${encodeURIComponent(id)}`);
  }

  /**
   * Approved items per cell (topics × the four levels) of one item type or
   * any, as organisation `orgId` (the exam's) may draw them: what assembly uses.
   */
  async availability(filter: { subject: string; grade: number; topics: string[]; type?: string; orgId?: string }): Promise<CellAvailability[]> {
    const body = await this.get<{ cells: CellAvailability[] }>('/api/blueprints/availability', {
      subject: filter.subject,
      grade: filter.grade,
      topics: filter.topics.join(','),
      type: filter.type,
      orgId: filter.orgId,
    });
    return body.cells;
  }

  // ------------------------------------------------------- exams and forms

  blueprints(query: { q?: string; subject?: string; grade?: number | string; limit?: number; cursor?: string } = {}): Promise<{ blueprints: Blueprint[]; nextCursor: string | null }> {
    return this.get<{ blueprints: Blueprint[]; nextCursor: string | null }>('/api/blueprints', { ...query });
  }

  exams(query: ExamSearch = {}): Promise<{ exams: Exam[]; nextCursor: string | null }> {
    return this.get<{ exams: Exam[]; nextCursor: string | null }>('/api/exams', { ...query });
  }

  /** Usernames → users of the caller's organisations; unknown ones are absent. */
  async lookupUsers(usernames: string[]): Promise<{ id: string; username: string; displayName: string; studentId?: string }[]> {
    const out: { id: string; username: string; displayName: string; studentId?: string }[] = [];
    for (let i = 0; i < usernames.length; i += 200) {
      const body = await this.get<{ users: { id: string; username: string; displayName: string; studentId?: string }[] }>('/api/users', { username: usernames.slice(i, i + 200).join(',') });
      out.push(...body.users);
    }
    return out;
  }

  createBlueprint(body: NewBlueprint): Promise<Blueprint> {
    return this.post<Blueprint>('/api/blueprints', body);
  }

  blueprint(id: string): Promise<Blueprint> {
    return this.get<Blueprint>(`/api/blueprints/${encodeURIComponent(id)}`);
  }

  createExam(body: NewExam): Promise<Exam> {
    return this.post<Exam>('/api/exams', body);
  }

  exam(id: string): Promise<Exam> {
    return this.get<Exam>(`/api/exams/${encodeURIComponent(id)}`);
  }

  assemble(id: string): Promise<AssembleResult> {
    return this.post<AssembleResult>(`/api/exams/${encodeURIComponent(id)}/assemble`);
  }

  forms(id: string): Promise<{ forms: FormSummary[] }> {
    return this.get<{ forms: FormSummary[] }>(`/api/exams/${encodeURIComponent(id)}/forms`);
  }

  form(id: string, code: string): Promise<ManagerForm> {
    return this.get<ManagerForm>(`/api/exams/${encodeURIComponent(id)}/forms/${encodeURIComponent(code)}`);
  }

  printableForm(id: string, code: string): Promise<string> {
    return this.text(`/api/exams/${encodeURIComponent(id)}/forms/${encodeURIComponent(code)}`, { format: 'html' });
  }

  publish(id: string): Promise<{ status: string }> {
    return this.post<{ status: string }>(`/api/exams/${encodeURIComponent(id)}/publish`);
  }

  bulkUsers(users: NewUserRow[]): Promise<BulkUsersResult> {
    return this.post<BulkUsersResult>('/api/users/bulk', { users });
  }

  // --------------------------------------------------------- live and after

  monitor(id: string): Promise<{ candidates: MonitorRow[] }> {
    return this.get<{ candidates: MonitorRow[] }>(`/api/exams/${encodeURIComponent(id)}/monitor`);
  }

  /** Lifts the login locks of an account (proctors and exam managers over the candidate). */
  unlock(userId: string): Promise<void> {
    return this.post<void>(`/api/users/${encodeURIComponent(userId)}/unlock`);
  }

  extend(id: string, candidateId: string, extraMinutes: number): Promise<Extension> {
    return this.post<Extension>(`/api/exams/${encodeURIComponent(id)}/extensions`, { candidateId, extraMinutes });
  }

  startGrading(id: string, mode: 'all' | 'regrade'): Promise<{ jobId: string }> {
    return this.post<{ jobId: string }>(`/api/exams/${encodeURIComponent(id)}/grading`, { mode });
  }

  job(jobId: string): Promise<Job> {
    return this.get<Job>(`/api/jobs/${encodeURIComponent(jobId)}`);
  }

  results(id: string): Promise<{ results: ResultRow[] }> {
    return this.get<{ results: ResultRow[] }>(`/api/exams/${encodeURIComponent(id)}/results`);
  }

  async manualQueue(id: string): Promise<ManualTask[]> {
    const body = await this.get<ManualQueue>(`/api/exams/${encodeURIComponent(id)}/manual-queue`);
    return body.items;
  }

  gradeManually(attemptId: string, itemId: string, points: number, comment: string): Promise<unknown> {
    return this.post<unknown>(`/api/attempts/${encodeURIComponent(attemptId)}/items/${encodeURIComponent(itemId)}/grade`, { points, comment });
  }

  /**
   * The analysis report. A big exam is analysed by a job (202 {jobId}): the
   * job is followed until it ends, then the report is asked for again.
   */
  async analysis(id: string, onWaiting?: (job: Job) => void, pollMs = 1000): Promise<Analysis> {
    for (;;) {
      const body = await this.get<Analysis | { jobId: string }>(`/api/exams/${encodeURIComponent(id)}/analysis`);
      if (!('jobId' in body) || 'items' in body) return body as Analysis;
      for (;;) {
        const job = await this.job(body.jobId);
        onWaiting?.(job);
        if (['completed', 'failed', 'unknown'].includes(job.state)) break;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    }
  }

  /** Writes the analysis' item statistics to the bank items (an audited action of the exam's managers). */
  analysisWriteBack(id: string): Promise<AnalysisWriteBack> {
    return this.post<AnalysisWriteBack>(`/api/exams/${encodeURIComponent(id)}/analysis/write-back`);
  }

  sectorSync(id: string): Promise<SectorSync> {
    return this.get<SectorSync>(`/api/exams/${encodeURIComponent(id)}/sector-sync`);
  }
}
