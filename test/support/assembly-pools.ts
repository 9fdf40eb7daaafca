/**
 * In-memory approved pools for the pure assembler tests and the benchmark:
 * plain ItemRevision values, built deterministically (no Math.random).
 */
import seedrandom from 'seedrandom';
import type { CognitiveLevel, ItemRevision, ItemType } from '../../src/bank/item-types.js';

export interface PoolSpec {
  type?: ItemType;
  topic: string;
  cognitiveLevel: CognitiveLevel;
  size: number;
  /** Stimulus groups: sizes of the groups carved out of the pool, in order. */
  groups?: number[];
  /** Seed of the difficulties; items get 0.2..0.9. Omit for items without difficulty. */
  difficultySeed?: string;
  prefix?: string;
}

const base = {
  subject: 'math',
  grade: 12,
  language: 'vi' as const,
  status: 'approved' as const,
  ownerOrgId: 'org-root',
  orgPath: ['org-root'],
  authorId: 'author-1',
  createdAt: new Date('2025-01-01T00:00:00Z'),
  sharing: 'national' as const,
};

export function makeItem(type: ItemType, itemId: string, topic: string, cognitiveLevel: CognitiveLevel, extra: Partial<ItemRevision> = {}): ItemRevision {
  const common = { ...base, itemId, revision: 1, topic, cognitiveLevel, stem: `Câu ${itemId}: tính \\(x^2\\) khi x = 2`, ...extra };
  switch (type) {
    case 'single_choice':
      return {
        ...common,
        type,
        options: [
          { id: 'A', text: '4' },
          { id: 'B', text: '2' },
          { id: 'C', text: '8' },
          { id: 'D', text: 'Cả ba đều sai', fixed: true },
        ],
        correct: ['A'],
      } as ItemRevision;
    case 'multiple_choice':
      return { ...common, type, options: [{ id: 'A', text: 'a' }, { id: 'B', text: 'b' }, { id: 'C', text: 'c' }], correct: ['A', 'C'], scoring: 'partial' } as ItemRevision;
    case 'true_false':
      return { ...common, type, value: true } as ItemRevision;
    case 'true_false_cluster':
      return {
        ...common,
        type,
        statements: [
          { id: 'a', text: 'a' },
          { id: 'b', text: 'b' },
          { id: 'c', text: 'c' },
          { id: 'd', text: 'd' },
        ],
        values: { a: true, b: false, c: true, d: false },
        ladder: [0, 0.1, 0.25, 0.5, 1],
      } as ItemRevision;
    case 'numeric':
      return { ...common, type, value: -1.5, tolerance: 0.01 } as ItemRevision;
    case 'short_text':
      return { ...common, type, accepted: ['Hà Nội'], caseSensitive: false } as ItemRevision;
    case 'matching':
      return {
        ...common,
        type,
        premises: [{ id: 'p1', text: 'p1' }, { id: 'p2', text: 'p2' }],
        choices: [{ id: 'c1', text: 'c1' }, { id: 'c2', text: 'c2' }, { id: 'c3', text: 'c3' }],
        pairs: { p1: 'c1', p2: 'c2' },
      } as ItemRevision;
    case 'ordering':
      return { ...common, type, elements: [{ id: 'e1', text: '1' }, { id: 'e2', text: '2' }, { id: 'e3', text: '3' }], order: ['e1', 'e2', 'e3'], scoring: 'partial' } as ItemRevision;
    case 'cloze':
      return { ...common, type, text: 'Thủ đô là {{b1}}, số {{b2}}', blanks: [{ id: 'b1', accepted: ['Hà Nội'] }, { id: 'b2', value: 2, tolerance: 0 }] } as ItemRevision;
    case 'essay':
      return { ...common, type, rubric: [{ criterion: 'Lập luận', maxPoints: 2 }, { criterion: 'Trình bày', maxPoints: 1 }], maxWords: 300 } as ItemRevision;
  }
}

/** A pool for one cell; item ids are zero-padded so that they sort numerically. */
export function makePool(spec: PoolSpec): ItemRevision[] {
  const type = spec.type ?? 'single_choice';
  const prefix = spec.prefix ?? `${type}-${spec.topic}-${spec.cognitiveLevel}`;
  const rng = spec.difficultySeed ? seedrandom(spec.difficultySeed) : null;
  const groups = [...(spec.groups ?? [])];
  let inGroup = 0;
  let groupNo = 0;
  let groupLeft = 0;
  const out: ItemRevision[] = [];
  for (let i = 0; i < spec.size; i++) {
    const extra: Partial<ItemRevision> = {};
    if (rng) extra.difficulty = Math.round((0.2 + rng() * 0.7) * 1000) / 1000;
    if (groupLeft === 0 && groups.length) {
      groupLeft = groups.shift()!;
      groupNo++;
      inGroup = 0;
    }
    if (groupLeft > 0) {
      extra.stimulusId = `${prefix}-stim-${groupNo}`;
      // Authored order deliberately differs from id order.
      extra.stimulusOrder = groupLeft;
      inGroup++;
      groupLeft--;
    }
    out.push(makeItem(type, `${prefix}-${String(i).padStart(5, '0')}`, spec.topic, spec.cognitiveLevel, extra));
  }
  return out;
}
