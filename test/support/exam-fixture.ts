/**
 * A published exam with approved items of every type, candidates and staff,
 * all made through the public HTTP API — for live-exam and grading tests.
 *
 *   const fx = await publishedExam(app, { candidates: 3, closesInMs: 60_000 });
 *   fx.tokens[0]  // a candidate's bearer token
 *
 * Built on the exam world of fixtures/ (organisations, users, item bodies whose keys are
 * distinctive strings that leak tests can look for).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ITEM_TYPES, type ItemType } from '../../src/bank/item-types.js';
import { approvedBodies, approvedItems, examWorld, itemBody, type ExamWorld, type ItemSpec } from './fixtures/index.js';

/** Every item type, in the contract's order. */
export const ALL_TYPES: ItemType[] = [...ITEM_TYPES];

export interface PublishedExamOptions {
  /** Candidates on the roster. @defaultValue 2 */
  candidates?: number;
  /** Item types, one blueprint section each (one item per section). @defaultValue ALL_TYPES */
  types?: ItemType[];
  /** Items drawn per section. @defaultValue 1 */
  perSection?: number;
  /** @defaultValue 1 */
  formCount?: number;
  /** @defaultValue 60 */
  durationMinutes?: number;
  /** opensAt relative to now, in ms (negative: already open). @defaultValue -60000 */
  opensInMs?: number;
  /** closesAt relative to now, in ms. @defaultValue 2 hours */
  closesInMs?: number;
  /** Keeps org codes and usernames apart when two fixtures share a database. @defaultValue 'lx' */
  prefix?: string;
  /** Reuse an existing world (and its approved items) instead of building one. */
  world?: ExamWorld;
  /** Item bodies written out in full, one section each, instead of the standard bodies of `types` (their topic becomes the exam's). */
  bodies?: Record<string, unknown>[];
  /** The blueprint's constraints. @defaultValue the blueprint default */
  constraints?: { maxItemOverlap: number; difficultyTolerance: number };
}

export interface PublishedExam {
  world: ExamWorld;
  examId: string;
  blueprintId: string;
  itemIds: string[];
  candidateIds: string[];
  /** Bearer token of each candidate, in roster order. */
  tokens: string[];
  /** The exam manager's token. */
  managerToken: string;
  opensAt: Date;
  closesAt: Date;
}

async function ok(res: LightMyRequestResponse, status: number, what: string) {
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function publishedExam(app: FastifyInstance, options: PublishedExamOptions = {}): Promise<PublishedExam> {
  const types = options.bodies?.map((b) => b.type as ItemType) ?? options.types ?? ALL_TYPES;
  const perSection = options.bodies ? 1 : (options.perSection ?? 1);
  const world = options.world ?? (await examWorld(app, options.candidates ?? 2, options.prefix ?? 'lx'));
  const topic = `live-${Date.now().toString(36)}`;
  const specs: ItemSpec[] = types.flatMap((type) => Array.from({ length: perSection }, () => ({ type, topic, cognitiveLevel: 1 as const })));
  const itemIds = options.bodies ? await approvedBodies(world, options.bodies.map((b) => ({ ...b, topic, cognitiveLevel: 1 }))) : await approvedItems(world, specs);
  const blueprint = await ok(
    await world.manager({
      method: 'POST',
      url: '/api/blueprints',
      payload: {
        title: 'Kiểm tra trực tuyến',
        subject: 'math',
        grade: 12,
        durationMinutes: options.durationMinutes ?? 60,
        sections: types.map((type, i) => ({ title: `Phần ${i + 1}`, type, shuffleItems: true, cells: [{ topic, cognitiveLevel: 1, count: perSection }] })),
        ...(options.constraints ? { constraints: options.constraints } : {}),
      },
    }),
    201,
    'blueprint',
  );
  const now = Date.now();
  const opensAt = new Date(now + (options.opensInMs ?? -60_000));
  const closesAt = new Date(now + (options.closesInMs ?? 2 * 3600_000));
  const exam = await ok(
    await world.manager({
      method: 'POST',
      url: '/api/exams',
      payload: {
        title: 'Bài thi trực tuyến',
        blueprintId: blueprint.id,
        formCount: options.formCount ?? 1,
        opensAt: opensAt.toISOString(),
        closesAt: closesAt.toISOString(),
        durationMinutes: options.durationMinutes ?? 60,
        candidateIds: world.candidateIds,
        showResults: 'after_submit',
      },
    }),
    201,
    'exam',
  );
  await ok(await world.manager({ method: 'POST', url: `/api/exams/${exam.id}/assemble` }), 200, 'assemble');
  await ok(await world.manager({ method: 'POST', url: `/api/exams/${exam.id}/publish` }), 200, 'publish');
  return {
    world,
    examId: exam.id,
    blueprintId: blueprint.id,
    itemIds,
    candidateIds: world.candidateIds,
    // Tokens signed by the app itself: valid in every app built on the same namespace.
    tokens: world.candidateIds.map((id) => app.tokens.issue(id).token),
    managerToken: world.managerToken,
    opensAt,
    closesAt,
  };
}

type Entry = { id: string; text: string };
const PICK_LISTS = ['options', 'statements', 'premises', 'choices', 'elements'] as const;

/**
 * The id the candidate received for the fixture's authored id `authoredId`
 * (fixtures/ itemBody bodies) of an item in a `state` message: found by its
 * text, as a candidate reading the form finds it. Candidates never see
 * authored ids, and answers in them are refused.
 */
export function deliveredId(state: Record<string, unknown>, itemId: string, authoredId: string): string {
  const item = (state.items as ({ itemId: string; type: ItemType } & Partial<Record<(typeof PICK_LISTS)[number], Entry[]>>)[]).find((i) => i.itemId === itemId);
  if (!item) throw new Error(`no item ${itemId} in the state`);
  const body = itemBody({ type: item.type, topic: 'x', cognitiveLevel: 1 });
  for (const list of PICK_LISTS) {
    const text = (body[list] as Entry[] | undefined)?.find((e) => e.id === authoredId)?.text;
    const hit = text === undefined ? undefined : item[list]?.find((e) => e.text === text);
    if (hit) return hit.id;
  }
  throw new Error(`${item.type} ${itemId} has no entry ${authoredId}`);
}
