/**
 * A listening item in a real browser against the REAL app: the candidate
 * plays a recording with a limit of two plays until the button is disabled,
 * a reload (a new socket, the count from the server) keeps it disabled, and
 * a recording without a limit plays as often as wanted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { projectRoot } from '../../src/infra/paths.js';
import { build } from '../helper.js';
import { buildWebClient, launchBrowser, logInAsCandidate, watchProblems } from '../support/browser.js';
import { publishedExam } from '../support/exam-fixture.js';
import { examWorld, itemBody, ok } from '../support/fixtures/index.js';
import { WORLD_PASSWORD } from '../support/fixtures/world.js';
import { frontServer, listenApp } from '../support/front-server.js';

const TONE = readFileSync(path.join(projectRoot(), 'test/fixtures/media/tone.m4a'));

t.test('a candidate plays a recording up to its limit, and a reload keeps the count', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const { app } = await build(t);
  const world = await examWorld(app, 1, 'sau');
  const upload = async (bytes: Buffer) => (await ok(await world.author({ method: 'POST', url: '/api/media', payload: bytes, headers: { 'content-type': 'audio/mp4' } }), 201, 'upload')).id as string;
  const limited = await upload(TONE);
  const free = await upload(Buffer.concat([TONE, Buffer.from('free')]));
  const base = (stem: string) => ({ ...itemBody({ type: 'single_choice', topic: 'x', cognitiveLevel: 1 }), stem, shuffleOptions: false });
  const fx = await publishedExam(app, {
    world,
    bodies: [
      { ...base('<p>Nghe đoạn hội thoại (hai lần).</p>'), audio: { media: limited, maxPlays: 2 } },
      { ...base('<p>Nghe đoạn thông báo.</p>'), audio: { media: free } },
    ],
  });
  const appUrl = await listenApp(app);
  const url = await frontServer(t, appUrl, webRoot);

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInAsCandidate(page, url, 'sau_cand0', WORLD_PASSWORD);
  await page.getByRole('link', { name: 'Vào thi' }).click();
  await page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();

  const card = () => page.locator('.question-card:not([hidden])');
  const player = () => card().getByRole('group', { name: 'Nghe đoạn ghi âm' });
  const playButton = () => player().getByRole('button');
  const state = () => player().getAttribute('data-state');
  /** Clicks play and waits for the recording to start and to end. */
  const playThrough = async () => {
    await playButton().click();
    await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .audio-player')?.getAttribute('data-state') === 'playing');
    await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .audio-player')?.getAttribute('data-state') !== 'playing', null, { timeout: 15_000 });
  };

  /** Shows the question whose stem has `text` (the form's order is its own). */
  const open = async (text: string) => {
    const index = await page.locator('.question-card').evaluateAll((cards, wanted) => cards.findIndex((c) => c.textContent?.includes(wanted as string)), text);
    await page.locator(`.nav-button[data-index="${index}"]`).click();
    await card().getByText(text).waitFor();
  };
  await open('hai lần');
  t.equal(await player().getByText('Còn 2 lần nghe').count(), 1, 'the plays left are shown');
  t.equal(await card().locator('audio[controls], input[type="range"]').count(), 0, 'no native controls, nothing to seek with');
  await playThrough();
  t.equal(await player().locator('.audio-left').textContent(), 'Còn 1 lần nghe', 'one play used');
  t.equal(await playButton().isEnabled(), true);
  await playThrough();
  t.equal(await state(), 'exhausted');
  t.equal(await player().locator('.audio-left').textContent(), 'Còn 0 lần nghe');
  t.equal(await playButton().isDisabled(), true, 'the button is disabled at the limit');
  t.equal(await player().getByRole('status').textContent(), 'Bạn đã nghe hết 2 lần được phép.', 'and says why');

  // From the reload on, the socket goes through a relay that can lose the acknowledgement of a play.
  let loseNextPlayAck = false;
  let lostAck = false;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    let playSeq: number | null = null;
    ws.onMessage((m) => {
      const frame = JSON.parse(String(m)) as { type: string; seq?: number };
      if (loseNextPlayAck && frame.type === 'play') playSeq = frame.seq ?? null;
      server.send(m);
    });
    server.onMessage((m) => {
      const msg = JSON.parse(String(m)) as { type: string; seq?: number };
      if (playSeq !== null && msg.type === 'ack' && msg.seq === playSeq) {
        // Stored by the server, but the page never hears so: the connection drops instead.
        loseNextPlayAck = false;
        playSeq = null;
        lostAck = true;
        ws.close({ code: 1011, reason: 'lost' });
        server.close();
        return;
      }
      ws.send(m);
    });
  });
  await page.reload();
  await page.getByRole('heading', { name: /^Câu \d$/ }).first().waitFor();
  await page.waitForFunction(() => document.querySelector('.conn-state')?.getAttribute('data-state') === 'open');
  await open('hai lần');
  t.equal(await state(), 'exhausted', 'after a reload the count comes from the server');
  t.equal(await playButton().isDisabled(), true, 'still disabled');

  await open('thông báo');
  t.equal(await player().locator('.audio-left').textContent(), 'Không giới hạn số lần nghe');
  for (let i = 0; i < 3; i++) await playThrough();
  t.equal(await playButton().isEnabled(), true, 'a recording without a limit still plays');

  // A play stored whose acknowledgement is lost with the connection: after the reconnect it starts, counted once.
  loseNextPlayAck = true;
  await playThrough();
  t.ok(lostAck, 'the acknowledgement was lost and the socket dropped');

  const log = await app.mongo.db!.collection<{ attemptId: string; frames: { type: string; itemId?: string }[] }>('attempt_log').find({ attemptId: attemptIdFor(fx.examId, fx.candidateIds[0]!) }).toArray();
  const plays = log.flatMap((e) => e.frames).filter((f) => f.type === 'play');
  t.equal(plays.filter((f) => f.itemId === fx.itemIds[0]).length, 2, 'two plays of the limited recording are recorded for the attempt');
  t.equal(plays.filter((f) => f.itemId === fx.itemIds[1]).length, 4, 'four of the other, the one whose answer was lost counted once');
  t.same(problems.errors, [], 'no page errors');
});
