/**
 * The adaptive side of one candidate socket (an exam with mode `adaptive`,
 * docs/adaptive.md "Over the live socket").
 *
 * The engine's state is never stored: it is derived from the attempt's
 * answers (src/adaptive/replay.ts), which the log holds, with draws seeded by
 * the exam's seed and the attempt id. So a resume, a reconnect to another
 * process or a restart after a crash derives the same items given, the same
 * current item and the same next one.
 *
 * Rules kept here, for the session to apply:
 * - the candidate sees only the items given so far and the current one;
 * - only the current item takes an answer, once (no going back), and no
 *   other item is known to exist: an item not given yet is `unknown_item`
 *   whether or not the pool holds it;
 * - the next item is chosen only when the answer's log entry is stored
 *   (`stored`), and sent after its `ack`;
 * - an answer that meets the stopping rule carries the hand-in in the same
 *   log entry.
 */
import { advance, attemptSeed, engineFor, replayAnswers, type AdaptiveProgress, type OutcomeOf } from '../adaptive/replay.js';
import type { CatEngine, DeliveredItem } from '../adaptive/cat-engine.js';
import type { LogEntry } from '../attempts/log-model.js';
import type { CandidateItem, CandidateStimulus, FormDelivery } from '../exams/candidate-form.js';
import { outcomeOf } from '../grading/adaptive-results.js';
import type { ProtocolError, ServerMessage } from './protocol.js';

/** Where the candidate stands, sent with `state` and `item`. */
export interface AdaptiveSummary {
  /** The item awaiting an answer; null once the test has ended. */
  current: string | null;
  /** Items given so far (the current one included). */
  given: number;
  /** The most items the test can have (operational ones; pretest items come on top). */
  maxItems: number;
}

interface PoolIndex {
  items: Map<string, CandidateItem>;
  stimuli: Map<string, CandidateStimulus>;
}

/** The pool's candidate items by id, per delivery (built once per process and form). */
const indexes = new WeakMap<FormDelivery, PoolIndex>();

function indexOf(form: FormDelivery): PoolIndex {
  let index = indexes.get(form);
  if (!index) {
    index = { items: new Map(form.items.map((i) => [i.itemId, i])), stimuli: new Map(form.stimuli.map((s) => [s.id, s])) };
    indexes.set(form, index);
  }
  return index;
}

export class AdaptiveAttempt {
  private readonly engine: CatEngine;
  private readonly outcome: OutcomeOf;
  private readonly pool: PoolIndex;
  private progress: AdaptiveProgress;
  private readonly given = new Set<string>();
  /** The current item's answer is in flight: nothing else is taken until the next item is chosen. */
  private answered = false;

  constructor(form: FormDelivery, attemptId: string, answers: ReadonlyMap<string, unknown>) {
    const a = form.adaptive!;
    this.engine = engineFor(a.key, a.form);
    this.outcome = outcomeOf(form.content, a.points);
    this.pool = indexOf(form);
    this.progress = replayAnswers(this.engine, attemptSeed(a.form, attemptId), answers, this.outcome);
    for (const d of this.progress.presented) this.given.add(d.itemId);
  }

  /** The stopping rule has ended the test. */
  get finished(): boolean {
    return this.progress.current === null;
  }

  /** Whether the candidate has been given this item. */
  presented(itemId: string): boolean {
    return this.given.has(itemId);
  }

  /** Why an answer, flag or play for this item is refused, or null. */
  refuse(type: 'answer' | 'flag' | 'play', itemId: string): ProtocolError | null {
    if (!this.given.has(itemId)) return { code: 'unknown_item', message: 'That item is not on your form' };
    if (type !== 'answer') return null;
    if (this.answered || this.progress.current?.itemId !== itemId) {
      return { code: 'item_closed', message: 'That item has been answered: an adaptive test does not go back' };
    }
    return null;
  }

  /** Takes the answer to the current item (checked by `refuse`); true when it ends the test. */
  answer(response: unknown): boolean {
    const current = this.progress.current!;
    this.answered = true;
    const recorded = this.engine.record(this.progress.state, current.itemId, this.outcome(current.itemId, response));
    return this.engine.shouldStop(recorded) !== null;
  }

  /** A log entry of this session is stored; true when it held the current item's answer (the test moved on). */
  stored(entry: Pick<LogEntry, 'frames'>): boolean {
    let moved = false;
    for (const f of entry.frames) {
      const current = this.progress.current;
      if (f.type !== 'answer' || !current || f.itemId !== current.itemId) continue;
      this.progress = advance(this.engine, this.progress, this.outcome(f.itemId, f.response));
      moved = true;
    }
    if (moved) {
      this.answered = false;
      for (const d of this.progress.presented) this.given.add(d.itemId);
    }
    return moved;
  }

  summary(): AdaptiveSummary {
    return { current: this.progress.current?.itemId ?? null, given: this.progress.presented.length, maxItems: this.engine.config.stop.maxItems };
  }

  /** A given item as the candidate sees it: numbered by its position in their test. */
  private item(d: DeliveredItem): CandidateItem {
    return { ...this.pool.items.get(d.itemId)!, number: d.position };
  }

  private stimuliOf(items: readonly CandidateItem[]): CandidateStimulus[] {
    const ids = [...new Set(items.map((i) => i.stimulusId).filter((x): x is string => !!x))];
    return ids.map((id) => this.pool.stimuli.get(id)).filter((x): x is CandidateStimulus => !!x);
  }

  /** What `state` carries: the items given so far (the current one last) and their passages. */
  view(): { items: CandidateItem[]; stimuli: CandidateStimulus[]; summary: AdaptiveSummary } {
    const items = this.progress.presented.map((d) => this.item(d));
    return { items, stimuli: this.stimuliOf(items), summary: this.summary() };
  }

  /** The `item` message for the current item, or null when the test has ended. */
  nextMessage(): ServerMessage | null {
    const current = this.progress.current;
    if (!current) return null;
    const item = this.item(current);
    const stimuli = this.stimuliOf([item]);
    return { type: 'item', item, position: current.position, ...(stimuli.length ? { stimuli } : {}), adaptive: this.summary() };
  }
}
