import t from 'tap';
import { readDocx } from '../../src/interop/docx/read-docx.js';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';
import { SAMPLE_ITEMS } from '../support/interop.js';

/**
 * GET /api/items/export?format=docx: the bank search results as a Word
 * file the Word importer reads back (export → readDocx), what it leaves out,
 * and who may ask for it.
 */

/** Text and maths without markup, braces and spacing (the maths comes back through Word equations, written as KaTeX reads it). */
const norm = (s: string) => s.replace(/<\/?p>/g, '').replace(/&lt;/g, '<').replace(/[{}\s]/g, '');
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const { app } = await build(t);
const world = await interopWorld(app);
const author = world.users.authorA;
const topic = `docx-${Date.now().toString(36)}`;
for (const item of SAMPLE_ITEMS) {
  const res = await author({ method: 'POST', url: '/api/items', payload: { ...(item as unknown as Record<string, unknown>), topic } });
  if (res.statusCode !== 201) throw new Error(res.body);
}

t.test('the export reads back with readDocx: stems, options, keys, statements, values, rubric', async (t) => {
  const res = await author({ method: 'GET', url: `/api/items/export?format=docx&topic=${topic}` });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], DOCX);
  t.equal(res.headers['content-disposition'], 'attachment; filename="items.docx"');
  t.equal(res.headers['x-export-skipped-types'], 'true_false,short_text,matching,ordering,cloze', 'the types the convention cannot carry are named');
  const carried = SAMPLE_ITEMS.filter((i) => ['single_choice', 'multiple_choice', 'true_false_cluster', 'numeric', 'essay'].includes(i.type));
  t.equal(res.trailers['x-export-items'], String(carried.length));
  const read = readDocx(res.rawPayload);
  t.same(read.failed, [], 'every question reads');
  t.equal(read.items.length, carried.length);
  const byType = (type: string) => read.items.map((e) => e.item as unknown as Record<string, unknown>).filter((i) => i.type === type);
  for (const original of carried) {
    const back = byType(original.type).find((i) => norm(String(i.stem)) === norm(original.stem));
    if (!back) t.comment(JSON.stringify(byType(original.type).map((i) => i.stem)), JSON.stringify(original.stem));
    t.ok(back, `${original.type}: stem "${original.stem.slice(0, 40)}" comes back`);
    if (!back) continue;
    t.equal(back.cognitiveLevel, original.cognitiveLevel, `${original.type}: level`);
    switch (original.type) {
      case 'single_choice':
      case 'multiple_choice': {
        const texts = original.options.map((o) => o.text);
        t.same((back.options as { text: string }[]).map((o) => o.text), texts, `${original.type}: options in order`);
        t.same((back.correct as string[]).map((l) => texts[l.charCodeAt(0) - 65]), original.correct.map((id) => original.options.find((o) => o.id === id)!.text), `${original.type}: key`);
        break;
      }
      case 'true_false_cluster':
        t.same(Object.values(back.values as Record<string, boolean>), original.statements.map((s) => original.values[s.id]), 'statement values in order');
        break;
      case 'numeric':
        t.equal(back.value, original.value, 'numeric value');
        break;
      case 'essay':
        t.same(back.rubric, original.rubric, 'rubric from the marking guide');
        break;
    }
  }
});

t.test('candidates and proctors may not export to Word', async (t) => {
  for (const who of ['candidateA', 'proctorA'] as const) {
    const res = await world.users[who]({ method: 'GET', url: '/api/items/export?format=docx' });
    t.equal(res.statusCode, 403, who);
    t.equal(res.json().error.code, 'forbidden');
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/items/export?format=docx' })).statusCode, 401);
});

t.test('a type the convention cannot carry is refused when asked for by name', async (t) => {
  const res = await author({ method: 'GET', url: '/api/items/export?format=docx&type=matching' });
  t.equal(res.statusCode, 400);
  t.match(res.json().error.message, /docx format cannot carry matching items/);
});
