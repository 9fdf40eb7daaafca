// The assembler is a pure function over item pools: these tests feed it
// in-memory pools and check the forms it draws.
import t from 'tap';
import type { ItemRevision } from '../../src/bank/item-types.js';
import { assembleForms, BlueprintInfeasible, canonicalJson, formHash, type AssemblyInput, type AssemblyResult } from '../../src/assembly/assembler.js';
import type { BlueprintSection } from '../../src/assembly/blueprint-model.js';
import { makeItem, makePool, type PoolSpec } from '../support/fixtures/index.js';

interface Matrix {
  sections: (Omit<BlueprintSection, 'cells'> & { cells: (PoolSpec & { count: number })[] })[];
  maxItemOverlap?: number;
  difficultyTolerance?: number;
}

/** The input with full revisions, so tests can look up what was drawn. */
type Input = Omit<AssemblyInput, 'pools'> & { pools: ItemRevision[][][] };

function input(matrix: Matrix, seed: string, formCount: number): Input {
  return {
    seed,
    formCount,
    blueprint: {
      sections: matrix.sections.map(({ cells, ...s }) => ({ ...s, cells: cells.map((c) => ({ topic: c.topic, cognitiveLevel: c.cognitiveLevel, count: c.count })) })),
      constraints: { maxItemOverlap: matrix.maxItemOverlap ?? 0.3, difficultyTolerance: matrix.difficultyTolerance ?? 0.05 },
    },
    pools: matrix.sections.map((s) => s.cells.map((c) => makePool({ ...c, type: c.type ?? s.type }))),
  };
}

/** The national 2025 shape: single choice, true/false clusters, numeric answers; 12 cells. */
const national: Matrix = {
  sections: [
    {
      title: 'Phần I',
      type: 'single_choice',
      pointsPerItem: 0.25,
      shuffleItems: true,
      shuffleOptions: true,
      cells: [
        { topic: 'ham-so', cognitiveLevel: 1, count: 4, size: 30, difficultySeed: 'a1' },
        { topic: 'ham-so', cognitiveLevel: 2, count: 2, size: 20, difficultySeed: 'a2' },
        { topic: 'mu-log', cognitiveLevel: 1, count: 3, size: 25, difficultySeed: 'a3', groups: [2, 3] },
        { topic: 'mu-log', cognitiveLevel: 2, count: 1, size: 12, difficultySeed: 'a4' },
        { topic: 'tich-phan', cognitiveLevel: 3, count: 2, size: 16, difficultySeed: 'a5' },
      ],
    },
    {
      title: 'Phần II',
      type: 'true_false_cluster',
      pointsPerItem: 1,
      shuffleItems: true,
      cells: [
        { topic: 'ham-so', cognitiveLevel: 2, count: 2, size: 14, difficultySeed: 'b1' },
        { topic: 'hinh-hoc', cognitiveLevel: 3, count: 1, size: 9, difficultySeed: 'b2' },
        { topic: 'xac-suat', cognitiveLevel: 2, count: 1, size: 8 },
      ],
    },
    {
      title: 'Phần III',
      type: 'numeric',
      pointsPerItem: 0.5,
      cells: [
        { topic: 'ham-so', cognitiveLevel: 3, count: 2, size: 14, difficultySeed: 'c1' },
        { topic: 'tich-phan', cognitiveLevel: 3, count: 1, size: 8, difficultySeed: 'c2' },
        { topic: 'hinh-hoc', cognitiveLevel: 4, count: 2, size: 14, difficultySeed: 'c3' },
        { topic: 'xac-suat', cognitiveLevel: 4, count: 1, size: 8, difficultySeed: 'c4' },
      ],
    },
  ],
};

function byId(inp: Input): Map<string, ItemRevision> {
  return new Map(inp.pools.flat(2).map((i) => [i.itemId, i]));
}

t.test('every form meets every cell exactly, with no item twice', async (t) => {
  const inp = input(national, 'seed-1', 8);
  const result = assembleForms(inp);
  const items = byId(inp);
  t.equal(result.forms.length, 8);
  t.same(result.forms.map((f) => f.code), ['101', '102', '103', '104', '105', '106', '107', '108']);
  for (const form of result.forms) {
    t.equal(form.itemCount, 22);
    t.equal(new Set(form.items.map((i) => i.itemId)).size, form.items.length, `form ${form.code}: no repeats`);
    national.sections.forEach((section, s) => {
      for (const cell of section.cells) {
        const got = form.items.filter((i) => {
          const item = items.get(i.itemId)!;
          return i.section === s && item.topic === cell.topic && item.cognitiveLevel === cell.cognitiveLevel && item.type === section.type;
        }).length;
        t.equal(got, cell.count, `form ${form.code} ${section.title} ${cell.topic}/${cell.cognitiveLevel}`);
      }
    });
    t.ok(form.items.every((i) => items.get(i.itemId)!.status === 'approved'));
    // pointsPerItem overrides: 12 × 0.25 + 4 × 1 + 6 × 0.5
    t.equal(form.totalPoints, 10);
    t.equal(form.hash, formHash(form.items));
  }
});

t.test('stimulus groups are drawn whole and delivered together in authored order', async (t) => {
  const matrix: Matrix = {
    sections: [
      {
        title: 'Đọc hiểu',
        type: 'single_choice',
        shuffleItems: true,
        cells: [
          // Only groups (sizes 2, 3, 3, 2): exact counts need the subset-sum table.
          { topic: 'doc-hieu', cognitiveLevel: 1, count: 5, size: 10, groups: [2, 3, 3, 2] },
          { topic: 'ngu-phap', cognitiveLevel: 1, count: 3, size: 12, groups: [3] },
        ],
      },
    ],
  };
  const inp = input(matrix, 'stimulus', 6);
  const items = byId(inp);
  const result = assembleForms(inp);
  for (const form of result.forms) {
    const stims = form.items.map((i) => items.get(i.itemId)!.stimulusId);
    const seen = new Set<string>();
    let last: string | undefined;
    for (const stim of stims) {
      if (stim && stim !== last) {
        t.notOk(seen.has(stim), `form ${form.code}: stimulus ${stim} is contiguous`);
        seen.add(stim);
      }
      last = stim;
    }
    for (const stim of seen) {
      const delivered = form.items.filter((i) => items.get(i.itemId)!.stimulusId === stim).map((i) => items.get(i.itemId)!);
      const whole = [...items.values()].filter((i) => i.stimulusId === stim);
      t.equal(delivered.length, whole.length, `form ${form.code}: all of ${stim}`);
      t.same(
        delivered.map((i) => i.stimulusOrder),
        [...delivered.map((i) => i.stimulusOrder!)].sort((a, b) => a - b),
        `form ${form.code}: ${stim} in authored order`,
      );
    }
    t.equal(form.items.filter((i) => items.get(i.itemId)!.topic === 'doc-hieu').length, 5);
    t.equal(form.items.filter((i) => items.get(i.itemId)!.topic === 'ngu-phap').length, 3);
  }
});

t.test('options shuffle, fixed options keep their index, item flags are honoured', async (t) => {
  const pool = makePool({ topic: 't', cognitiveLevel: 1, size: 40 });
  // Items 0..9 ask not to be shuffled.
  pool.slice(0, 10).forEach((i) => (i.shuffleOptions = false));
  const inp: Input = {
    seed: 'options',
    formCount: 10,
    blueprint: { sections: [{ title: 'I', type: 'single_choice', shuffleOptions: true, cells: [{ topic: 't', cognitiveLevel: 1, count: 20 }] }], constraints: { maxItemOverlap: 1, difficultyTolerance: 1 } },
    pools: [[pool]],
  };
  const result = assembleForms(inp);
  const items = byId(inp);
  const orders = new Set<string>();
  for (const form of result.forms) {
    for (const i of form.items) {
      t.equal(i.optionOrder![3], 'D', 'the fixed option stays last');
      t.same([...i.optionOrder!].sort(), ['A', 'B', 'C', 'D']);
      if (items.get(i.itemId)!.shuffleOptions === false) t.same(i.optionOrder, ['A', 'B', 'C', 'D']);
      else orders.add(i.optionOrder!.join(''));
    }
  }
  t.equal(orders.size, 6, 'every arrangement of the three free options occurs');

  const off = assembleForms({ ...inp, blueprint: { ...inp.blueprint, sections: [{ ...inp.blueprint.sections[0]!, shuffleOptions: false }] } });
  t.ok(off.forms.every((f) => f.items.every((i) => i.optionOrder!.join('') === 'ABCD')), 'section shuffleOptions: false keeps authored order');
});

t.test('ordering elements are always shuffled, matching choices follow shuffleOptions', async (t) => {
  const ordering = Array.from({ length: 12 }, (_, i) => makeItem('ordering', `ord-${String(i).padStart(2, '0')}`, 'o', 2));
  const matching = Array.from({ length: 12 }, (_, i) => makeItem('matching', `mat-${String(i).padStart(2, '0')}`, 'm', 2));
  const result = assembleForms({
    seed: 'x',
    formCount: 4,
    blueprint: {
      sections: [{ title: 'I', shuffleOptions: true, cells: [{ topic: 'o', cognitiveLevel: 2, count: 6 }, { topic: 'm', cognitiveLevel: 2, count: 6 }] }],
      constraints: { maxItemOverlap: 1, difficultyTolerance: 1 },
    },
    pools: [[ordering, matching]],
  });
  const elementOrders = result.forms.flatMap((f) => f.items.filter((i) => i.elementOrder).map((i) => i.elementOrder!.join('')));
  const choiceOrders = result.forms.flatMap((f) => f.items.filter((i) => i.choiceOrder).map((i) => i.choiceOrder!.join('')));
  t.equal(elementOrders.length, 24);
  t.equal(choiceOrders.length, 24);
  t.ok(elementOrders.some((o) => o !== 'e1e2e3'), 'elements are shuffled');
  t.ok(choiceOrders.some((o) => o !== 'c1c2c3'), 'choices are shuffled');
  t.ok(result.forms.every((f) => f.items.every((i) => !i.optionOrder)));
});

t.test('same inputs give byte-identical forms; bank order does not matter; another seed differs', async (t) => {
  const a = assembleForms(input(national, 'reproducible', 12));
  const b = assembleForms(input(national, 'reproducible', 12));
  t.equal(canonicalJson(a), canonicalJson(b));
  t.equal(JSON.stringify(a), JSON.stringify(b));

  const shuffledBank = input(national, 'reproducible', 12);
  shuffledBank.pools = shuffledBank.pools.map((s) => s.map((c) => [...c].reverse()));
  t.equal(JSON.stringify(assembleForms(shuffledBank)), JSON.stringify(a), 'the order the bank answers in is irrelevant');

  const other = assembleForms(input(national, 'another seed', 12));
  t.not(JSON.stringify(other.forms), JSON.stringify(a.forms));
  const hashes = new Set(a.forms.map((f) => f.hash));
  t.ok(other.forms.every((f) => !hashes.has(f.hash)), 'no form of the other seed equals one of this seed');
  t.equal(hashes.size, 12, 'forms differ from each other');
});

const GOLDEN = [
  '101 f55ea2c925b206f2adf8814a658b552304be6f50ed7bb0e2445ba968e62a5794',
  '102 0b3510529594427e6f963f128ca5222aae8eef7a278142f45bd8571bdad69670',
  '103 c1c5df8821587fe43fcb0d527790314653db4255467426b61433089b800349c0',
];

t.test('the draw is pinned: a golden hash guards reproducibility across versions', async (t) => {
  const result = assembleForms(input(national, 'golden-2025', 3));
  // Any change here means exams assembled before would come out differently
  // if assembled again: only change these with a deliberate, announced reason.
  t.same(result.forms.map((f) => `${f.code} ${f.hash}`), GOLDEN);
});

function measured(result: AssemblyResult) {
  let overlap = 0;
  const sets = result.forms.map((f) => new Set(f.items.map((i) => i.itemId)));
  for (let a = 0; a < sets.length; a++) {
    for (let b = a + 1; b < sets.length; b++) {
      const shared = [...sets[a]!].filter((id) => sets[b]!.has(id)).length;
      overlap = Math.max(overlap, shared / result.forms[a]!.itemCount);
    }
  }
  return overlap;
}

t.test('overlap and difficulty spread meet the targets when the bank allows it', async (t) => {
  const matrix: Matrix = {
    maxItemOverlap: 0.3,
    difficultyTolerance: 0.05,
    sections: [
      {
        title: 'I',
        type: 'single_choice',
        cells: [
          { topic: 'a', cognitiveLevel: 1, count: 5, size: 15, difficultySeed: 'd1' },
          { topic: 'a', cognitiveLevel: 2, count: 5, size: 15, difficultySeed: 'd2' },
          { topic: 'b', cognitiveLevel: 1, count: 5, size: 15, difficultySeed: 'd3' },
          { topic: 'b', cognitiveLevel: 3, count: 5, size: 15, difficultySeed: 'd4' },
        ],
      },
    ],
  };
  for (const seed of ['s1', 's2', 's3']) {
    const inp = input(matrix, seed, 6);
    const result = assembleForms(inp);
    t.ok(result.overlap <= 0.3, `seed ${seed}: overlap ${result.overlap} ≤ 0.3`);
    t.ok(result.difficultySpread <= 0.05 + 1e-9, `seed ${seed}: spread ${result.difficultySpread} ≤ 0.05`);
    t.equal(result.overlap, Math.round(measured(result) * 1e4) / 1e4, 'reported overlap is the measured one');
    t.ok(result.forms.every((f) => f.itemCount === 20));
    const items = byId(inp);
    const means = result.forms.map((f) => f.items.reduce((s, i) => s + (items.get(i.itemId)!.difficulty ?? 0.5), 0) / f.itemCount);
    t.equal(result.difficultySpread, Math.round((Math.max(...means) - Math.min(...means)) * 1e4) / 1e4, 'reported spread is the measured one');
    result.forms.forEach((f, i) => t.equal(f.meanDifficulty, Math.round(means[i]! * 1e4) / 1e4));
  }
});

t.test('a bank too small for the targets still assembles and reports what it reached', async (t) => {
  const matrix: Matrix = {
    sections: [{ title: 'I', type: 'single_choice', cells: [{ topic: 'a', cognitiveLevel: 1, count: 5, size: 6, difficultySeed: 'q' }] }],
  };
  const result = assembleForms(input(matrix, 'small', 5));
  t.equal(result.forms.length, 5);
  t.ok(result.overlap > 0.3, `overlap ${result.overlap} reported above the target`);
  t.equal(result.overlap, Math.round(measured(result) * 1e4) / 1e4);
});

t.test('items without difficulty count as 0.5', async (t) => {
  const result = assembleForms(input({ sections: [{ title: 'I', cells: [{ topic: 'a', cognitiveLevel: 1, count: 4, size: 8 }] }] }, 'x', 2));
  t.ok(result.forms.every((f) => f.meanDifficulty === 0.5));
  t.equal(result.difficultySpread, 0);
});

t.test('cells the pool cannot fill are all reported with needed and available counts', async (t) => {
  const matrix: Matrix = {
    sections: [
      { title: 'I', type: 'single_choice', cells: [{ topic: 'a', cognitiveLevel: 1, count: 4, size: 10 }, { topic: 'a', cognitiveLevel: 2, count: 6, size: 2 }] },
      { title: 'II', type: 'numeric', cells: [{ topic: 'b', cognitiveLevel: 3, count: 3, size: 0 }] },
      // Four items, but only in groups of two: three cannot be met exactly.
      { title: 'III', type: 'single_choice', cells: [{ topic: 'c', cognitiveLevel: 1, count: 3, size: 4, groups: [2, 2] }] },
    ],
  };
  const err = t.throws(() => assembleForms(input(matrix, 'x', 2))) as BlueprintInfeasible;
  t.ok(err instanceof BlueprintInfeasible);
  t.equal(err.statusCode, 422);
  t.equal(err.code, 'blueprint_infeasible');
  t.same(err.details, [
    { section: 0, sectionTitle: 'I', topic: 'a', cognitiveLevel: 2, needed: 6, available: 2 },
    { section: 1, sectionTitle: 'II', topic: 'b', cognitiveLevel: 3, needed: 3, available: 0 },
    { section: 2, sectionTitle: 'III', topic: 'c', cognitiveLevel: 1, needed: 3, available: 4 },
  ]);
});

t.test('only approved items and the latest revision of each are drawn', async (t) => {
  const pool = makePool({ topic: 'a', cognitiveLevel: 1, size: 4 });
  pool[0]!.status = 'draft';
  pool.push({ ...pool[1]!, revision: 3 }, { ...pool[1]!, revision: 2 });
  const result = assembleForms({
    seed: 'x',
    formCount: 1,
    blueprint: { sections: [{ title: 'I', cells: [{ topic: 'a', cognitiveLevel: 1, count: 3 }] }], constraints: { maxItemOverlap: 1, difficultyTolerance: 1 } },
    pools: [[pool]],
  });
  const pins = result.forms[0]!.items.map((i) => `${i.itemId}@${i.revision}`).sort();
  t.same(pins, [`${pool[1]!.itemId}@3`, `${pool[2]!.itemId}@1`, `${pool[3]!.itemId}@1`]);
});

t.test('a hundred forms from a large pool stay within the targets', async (t) => {
  const matrix: Matrix = {
    sections: [{ title: 'I', cells: [{ topic: 'a', cognitiveLevel: 1, count: 10, size: 1000, difficultySeed: 'big' }] }],
  };
  const result = assembleForms(input(matrix, 'big', 100));
  t.equal(result.forms.length, 100);
  t.equal(result.forms[99]!.code, '200');
  t.ok(result.overlap <= 0.3, `overlap ${result.overlap}`);
  t.ok(result.difficultySpread <= 0.05 + 1e-9, `spread ${result.difficultySpread}`);
});
