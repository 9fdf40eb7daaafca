/**
 * A published adaptive exam (mode `adaptive`) on a small calibrated bank, made
 * through the public HTTP API, for live, grading and browser tests.
 *
 * The items are single_choice with distinctive stems and option texts
 * (`Phương án <n>-A` is always the right one), so tests can answer right or
 * wrong by text as a candidate would, and leak tests can look for the stems
 * of items a candidate was never given. Their Rasch difficulties are written
 * onto the items' statistics as item analysis' write-back does.
 */
import type { FastifyInstance } from 'fastify';
import { approvedBodies, examWorld, ok, type ExamWorld } from './fixtures/index.js';

export interface AdaptiveExamOptions {
  /** Calibrated items in the bank's one cell. @defaultValue 12 */
  items?: number;
  /** @defaultValue 4 */
  maxItems?: number;
  /** Uncalibrated items seeded as pretest items, at these positions. */
  pretestPositions?: number[];
  /** @defaultValue 1 */
  candidates?: number;
  /** @defaultValue 'lx' */
  prefix?: string;
  /** @defaultValue 60 */
  durationMinutes?: number;
  /** @defaultValue 'after_submit' */
  showResults?: string;
  /** closesAt relative to now, in ms. @defaultValue 2 hours */
  closesInMs?: number;
  /** A recording every item carries (uploaded to the author's library), with its play limit. */
  audio?: { bytes: Buffer; type: string; maxPlays?: number };
}

export interface AdaptiveExam {
  world: ExamWorld;
  examId: string;
  itemIds: string[];
  pretestIds: string[];
  /** Stem of every item by id. */
  stems: Map<string, string>;
  /** Difficulty of every calibrated item by id. */
  b: Map<string, number>;
  candidateIds: string[];
  tokens: string[];
  managerToken: string;
  closesAt: Date;
}

/** A calibrated bank for an adaptive exam: the items of one blueprint cell with their difficulties, and that blueprint. */
export interface CalibratedBank {
  world: ExamWorld;
  blueprintId: string;
  itemIds: string[];
  pretestIds: string[];
  stems: Map<string, string>;
  b: Map<string, number>;
}

/** Approved items of one cell, all but the pretest ones calibrated from b = −2.5 to 2.5, and a blueprint over that cell. */
export async function calibratedBank(app: FastifyInstance, options: AdaptiveExamOptions = {}): Promise<CalibratedBank> {
  const world = await examWorld(app, options.candidates ?? 1, options.prefix ?? 'lx');
  const topic = `cat-${Date.now().toString(36)}`;
  const count = options.items ?? 12;
  const pretestCount = options.pretestPositions?.length ?? 0;
  const audio = options.audio && {
    media: (await ok(await world.author({ method: 'POST', url: '/api/media', payload: options.audio.bytes, headers: { 'content-type': options.audio.type } }), 201, 'recording')).id as string,
    ...(options.audio.maxPlays ? { maxPlays: options.audio.maxPlays } : {}),
  };
  const bodies = Array.from({ length: count + pretestCount }, (_, i) => ({
    type: 'single_choice',
    subject: 'math',
    grade: 12,
    topic,
    cognitiveLevel: 1,
    stem: `<p>Câu thích ứng số ${i + 1}: ${topic}</p>`,
    options: ['A', 'B', 'C', 'D'].map((id) => ({ id, text: `Phương án ${i + 1}-${id}` })),
    correct: ['A'],
    ...(audio ? { audio } : {}),
  }));
  const ids = await approvedBodies(world, bodies);
  const itemIds = ids.slice(0, count);
  const pretestIds = ids.slice(count);
  const stems = new Map(ids.map((id, i) => [id, bodies[i]!.stem]));
  const b = new Map(itemIds.map((id, i) => [id, Math.round((-2.5 + (5 * i) / Math.max(1, count - 1)) * 1000) / 1000]));
  for (const [id, difficulty] of b) {
    await app.models.Item.updateOne({ _id: id }, { $set: { 'stats.raschDifficulty': difficulty, 'stats.raschSE': 0.2, 'stats.n': 500 } });
  }
  const blueprint = await ok(
    await world.manager({
      method: 'POST',
      url: '/api/blueprints',
      payload: { title: 'Ma trận thích ứng', subject: 'math', grade: 12, sections: [{ title: 'Phần I', type: 'single_choice', cells: [{ topic, cognitiveLevel: 1, count: options.maxItems ?? 4 }] }] },
    }),
    201,
    'blueprint',
  );
  return { world, blueprintId: blueprint.id, itemIds, pretestIds, stems, b };
}

export async function publishedAdaptiveExam(app: FastifyInstance, options: AdaptiveExamOptions = {}): Promise<AdaptiveExam> {
  const { world, blueprintId, itemIds, pretestIds, stems, b } = await calibratedBank(app, options);
  const pretestCount = pretestIds.length;
  const now = Date.now();
  const exam = await ok(
    await world.manager({
      method: 'POST',
      url: '/api/exams',
      payload: {
        title: 'Bài kiểm tra thích ứng',
        blueprintId,
        formCount: 1,
        opensAt: new Date(now - 60_000).toISOString(),
        closesAt: new Date(now + (options.closesInMs ?? 2 * 3600_000)).toISOString(),
        durationMinutes: options.durationMinutes ?? 60,
        candidateIds: world.candidateIds,
        showResults: options.showResults ?? 'after_submit',
        mode: 'adaptive',
        adaptive: {
          stop: { maxItems: options.maxItems ?? 4 },
          exposure: { method: 'randomesque', k: 2 },
          ...(pretestCount ? { pretest: { itemIds: pretestIds, positions: options.pretestPositions } } : {}),
        },
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
    itemIds,
    pretestIds,
    stems,
    b,
    candidateIds: world.candidateIds,
    tokens: world.candidateIds.map((id) => app.tokens.issue(id).token),
    managerToken: world.managerToken,
    closesAt: new Date(exam.closesAt),
  };
}

type DeliveredItem = { itemId: string; options: { id: string; text: string }[] };

/** The delivered option id a candidate picks to answer right (`-A`) or wrong (`-B`). */
export function pick(item: unknown, right: boolean): string {
  const i = item as DeliveredItem;
  const hit = i.options.find((o) => o.text.endsWith(right ? '-A' : '-B'));
  if (!hit) throw new Error(`item ${i.itemId} has no such option`);
  return hit.id;
}
