// Adaptive exams through the staff API: the mode and its settings are checked at
// creation, assembly builds the pool form from the calibrated bank items of the
// blueprint's cells (and refuses a pool too small for the maximum length), the same
// inputs give the same pool form, and pretest items are named by id.
import t from 'tap';
import { build } from '../helper.js';
import { approvedBodies, examWorld } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await examWorld(app, 2, 'ax');
const topic = 'cat-api';
const body = (i: number, type = 'single_choice') =>
  type === 'single_choice'
    ? { type, subject: 'math', grade: 12, topic, cognitiveLevel: 1, stem: `<p>Câu ${i}</p>`, options: [{ id: 'A', text: `a${i}` }, { id: 'B', text: `b${i}` }], correct: ['A'] }
    : { type: 'essay', subject: 'math', grade: 12, topic, cognitiveLevel: 1, stem: `<p>Tự luận ${i}</p>`, rubric: [{ criterion: 'Đúng', maxPoints: 1 }] };
const ids = await approvedBodies(world, [...Array.from({ length: 8 }, (_, i) => body(i)), body(99, 'essay')]);
const calibrated = ids.slice(0, 6);
const uncalibrated = ids.slice(6, 8);
for (const [i, id] of calibrated.entries()) await app.models.Item.updateOne({ _id: id }, { $set: { 'stats.raschDifficulty': i - 2.5 } });
// A calibrated essay is still no operational item: it cannot be scored right or wrong at once.
await app.models.Item.updateOne({ _id: ids[8] }, { $set: { 'stats.raschDifficulty': 0 } });

const blueprint = (await world.manager({ method: 'POST', url: '/api/blueprints', payload: { title: 'CAT', subject: 'math', grade: 12, sections: [{ title: 'I', cells: [{ topic, cognitiveLevel: 1, count: 3 }] }] } })).json();
const base = {
  title: 'Thích ứng',
  blueprintId: blueprint.id,
  formCount: 1,
  opensAt: new Date(Date.now() - 60_000).toISOString(),
  closesAt: new Date(Date.now() + 3600_000).toISOString(),
  durationMinutes: 30,
  candidateIds: world.candidateIds,
  showResults: 'after_submit',
  seed: 'cat-seed',
};
const create = (extra: Record<string, unknown>) => world.manager({ method: 'POST', url: '/api/exams', payload: { ...base, ...extra } });

t.test('creation checks the mode and the adaptive settings', async (t) => {
  const noSettings = await create({ mode: 'adaptive' });
  t.equal(noSettings.statusCode, 400);
  t.match(noSettings.json().error, { code: 'validation_failed', details: [{ instancePath: '/adaptive' }] });
  const forms = await create({ mode: 'adaptive', formCount: 2, adaptive: { stop: { maxItems: 3 } } });
  t.match(forms.json().error, { code: 'validation_failed', details: [{ instancePath: '/formCount' }] });
  const fixedWithSettings = await create({ adaptive: { stop: { maxItems: 3 } } });
  t.match(fixedWithSettings.json().error, { code: 'validation_failed', details: [{ instancePath: '/adaptive' }] });
  const schema = await create({ mode: 'adaptive', adaptive: { stop: { maxItems: 0 } } });
  t.equal(schema.statusCode, 400, 'the schema first');
  const engine = await create({ mode: 'adaptive', adaptive: { stop: { maxItems: 3, minItems: 9 }, score10: { method: 'linear', thetaMin: 2, thetaMax: -2 } } });
  t.equal(engine.statusCode, 422, "then the engine's own checks");
  t.match(engine.json().error, { code: 'adaptive_config_invalid', details: [{ path: '/adaptive/stop/minItems' }, { path: '/adaptive/score10' }] });
  const fixed = await create({});
  t.equal(fixed.statusCode, 201);
  t.equal(fixed.json().mode, 'fixed', 'fixed by default');
});

t.test('assembly builds the pool form from the calibrated items; the same inputs give the same hash', async (t) => {
  const created = await create({ mode: 'adaptive', adaptive: { stop: { maxItems: 3 }, exposure: { method: 'randomesque', k: 2 }, pretest: { itemIds: [uncalibrated[0]], positions: [2] } } });
  t.equal(created.statusCode, 201, created.body);
  t.match(created.json(), { mode: 'adaptive', formCount: 1, adaptive: { stop: { maxItems: 3 } } });
  const id = created.json().id;
  const assembled = await world.manager({ method: 'POST', url: `/api/exams/${id}/assemble` });
  t.equal(assembled.statusCode, 200, assembled.body);
  const summary = assembled.json();
  t.match(summary, { forms: [{ code: '101', itemCount: 7 }], adaptive: { operational: 6, pretest: 1, left: { uncalibrated: 1, notDichotomous: 1 } } });
  const again = await world.manager({ method: 'POST', url: `/api/exams/${id}/assemble` });
  t.equal(again.json().forms[0].hash, summary.forms[0].hash, 'same bank, blueprint, settings and seed: same pool form');
  const form = await world.manager({ method: 'GET', url: `/api/exams/${id}/forms/101` });
  t.equal(form.statusCode, 200);
  t.same(new Set(form.json().items.map((i: { itemId: string }) => i.itemId)), new Set([...calibrated, uncalibrated[0]]));
  t.equal((await world.manager({ method: 'POST', url: `/api/exams/${id}/publish` })).statusCode, 200);
  const candidateView = await world.candidate({ method: 'GET', url: `/api/exams/${id}` });
  t.equal(candidateView.json().mode, 'adaptive', 'candidates learn the mode');
  t.notOk('adaptive' in candidateView.json(), 'not the settings (pretest items, exposure)');
});

t.test('a pool too small for the maximum length, or a pretest item outside the cells, is refused', async (t) => {
  const long = (await create({ mode: 'adaptive', adaptive: { stop: { maxItems: 7 } } })).json();
  const tooLong = await world.manager({ method: 'POST', url: `/api/exams/${long.id}/assemble` });
  t.equal(tooLong.statusCode, 422);
  t.match(tooLong.json().error, { code: 'blueprint_infeasible', details: [{ needed: 7, available: 6 }] });
  const stray = (await create({ mode: 'adaptive', adaptive: { stop: { maxItems: 3 }, pretest: { itemIds: ['no-such-item'] } } })).json();
  const refused = await world.manager({ method: 'POST', url: `/api/exams/${stray.id}/assemble` });
  t.equal(refused.statusCode, 422);
  t.match(refused.json().error, { code: 'adaptive_config_invalid', details: [{ path: '/adaptive/pretest/itemIds/0' }] });
});
