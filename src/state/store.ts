// Persistence of what must survive a restart: alert states (so a restart
// never re-pages), the outbox (so no notification is lost), and the short
// per-pool history the forecast needs.
import { readFileSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EvaluatorState } from '../core/alerting/evaluator.js';
import type { PoolHistory } from '../core/types.js';
import { SkewwatchError } from '../util/errors.js';
import { writeFileAtomicParts } from './atomic.js';
import { HISTORY_BLOCK } from '../core/analysis/history.js';

export const STATE_VERSION = 1;

export interface PersistedState {
  readonly version: typeof STATE_VERSION;
  readonly savedAt: number;
  readonly evaluator: EvaluatorState;
  /** The outbox's own JSON form (Outbox.toJSON()). */
  readonly outbox: unknown;
  readonly histories: Readonly<Record<string, PoolHistory>>;
  /** The balancer change log and restore memory (app/balancer-watch.ts); absent in older files. */
  readonly balancer?: unknown;
}

/**
 * A section already serialised as JSON text, written into the state file as
 * is. The outbox caches each entry's text (Outbox.toJSONText()): serialising
 * 2,000 queued entries again on every save cost ~1 s of event loop per cycle.
 */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** The state file's text, with a RawJson outbox spliced in rather than serialised again. */
export function stateText(state: PersistedState): string {
  return [...stateParts(state)].join('');
}

/**
 * The state file's text as consecutive parts, one per pool history, so a
 * save streams it to disk (writeFileAtomicParts) instead of building one
 * ~10 MiB string at 100,000 backends. Joined, the parts are the JSON of
 * `state` (keys in another order: histories and outbox last); a RawJson
 * outbox is spliced in as is.
 */
export function* stateParts(state: PersistedState, blockTextBudget = BLOCK_TEXT_BUDGET): Generator<string> {
  const { histories, outbox, ...rest } = state;
  const pass = new BlockTextPass(blockTextBudget);
  // rest always holds version, so its JSON is '{…}' with at least one key.
  yield JSON.stringify(rest).slice(0, -1);
  yield ',"histories":{';
  let comma = '';
  for (const pool of Object.keys(histories)) {
    const text = historyText(histories[pool], pass);
    if (text === undefined) continue;
    yield `${comma}${JSON.stringify(pool)}:${text}`;
    comma = ',';
  }
  yield '}';
  // Every history was written: the blocks of this save are the cache now.
  blockText = pass.next;
  const outboxText = outbox instanceof RawJson ? outbox.text : JSON.stringify(outbox);
  if (outboxText !== undefined) yield `,"outbox":${outboxText}`;
  yield '}';
}

/**
 * JSON text of full history blocks, by block. A history's full blocks are
 * never modified and are shared by every later history of the pool
 * (core/analysis/history.ts), so each is serialised once instead of on
 * every save: a save then formats only each pool's last, partial block
 * (JSON.stringify of doubles was most of a save). Keyed by the block array
 * itself. Bounded: each complete save keeps only the blocks it wrote
 * (aged-out blocks are forgotten with the save after them), and at most
 * BLOCK_TEXT_BUDGET characters of them. Unbounded, the cache grew to the
 * whole histories' text: ~1.6 KB per block, ~80 MiB of live heap at 100,000
 * backends with a full 600 s history at a 15 s interval; past the budget,
 * the other blocks are formatted on every save (~20 ms per 1,000 blocks).
 */
let blockText = new Map<readonly number[], string>();
/** Characters of cached block text kept (16 MiB: ~10,000 blocks, every block of a ~20,000-backend fleet). */
export const BLOCK_TEXT_BUDGET = 16 * 1024 * 1024;
/** Full blocks hold HISTORY_BLOCK points; smaller ones are tails, replaced on the next append. */
const FULL_BLOCK_POINTS = HISTORY_BLOCK;

/** Characters of block text cached now (tests check the bound). */
export function cachedBlockTextChars(): number {
  let n = 0;
  for (const text of blockText.values()) n += text.length;
  return n;
}

/** The cache a save fills: what it reused or formatted, within the budget; it replaces the old one when the save completes. */
class BlockTextPass {
  readonly next = new Map<readonly number[], string>();
  private chars = 0;
  constructor(private readonly budget: number) {}

  text(block: readonly number[], full: boolean): string {
    const text = blockText.get(block) ?? JSON.stringify(block);
    if (full && !this.next.has(block) && this.chars + text.length <= this.budget) {
      this.next.set(block, text);
      this.chars += text.length;
    }
    return text;
  }
}

/** JSON.stringify(history) for the usual {names, blocks, skip[, weights]} shape, reusing cached block text. */
function historyText(history: PoolHistory | undefined, pass: BlockTextPass): string | undefined {
  const h = history as { names?: unknown; blocks?: unknown; skip?: unknown; weights?: unknown } | undefined;
  if (typeof h !== 'object' || h === null || !Array.isArray(h.names) || !Array.isArray(h.blocks)) return JSON.stringify(history);
  const keys = Object.keys(h);
  // {names, blocks, skip}, plus the remembered weights when the source reports them (capacity-loss.ts).
  const withWeights = keys.length === 4 && keys[3] === 'weights' && Array.isArray(h.weights);
  if ((keys.length !== 3 && !withWeights) || keys[0] !== 'names' || keys[1] !== 'blocks' || keys[2] !== 'skip' || typeof h.skip !== 'number') return JSON.stringify(history);
  const fullLength = FULL_BLOCK_POINTS * (h.names.length + 2);
  const parts: string[] = [];
  for (const block of h.blocks as unknown[]) {
    if (!Array.isArray(block)) return JSON.stringify(history);
    parts.push(pass.text(block as number[], block.length === fullLength));
  }
  const weights = withWeights ? `,"weights":${JSON.stringify(h.weights)}` : '';
  return `{"names":${JSON.stringify(h.names)},"blocks":[${parts.join(',')}],"skip":${JSON.stringify(h.skip)}${weights}}`;
}

export interface StateStore {
  load(): PersistedState | null;
  save(state: PersistedState): void;
}

function problem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const s = v as Record<string, unknown>;
  if (s.version !== STATE_VERSION) return `unsupported version ${JSON.stringify(s.version)} (expected ${STATE_VERSION})`;
  const ev = s.evaluator as Record<string, unknown> | undefined;
  if (!ev || typeof ev.alerts !== 'object' || ev.alerts === null || typeof ev.blindCycles !== 'number') return 'evaluator section is missing or malformed';
  if (typeof s.histories !== 'object' || s.histories === null) return 'histories section is missing';
  return null;
}

export class FileStateStore implements StateStore {
  readonly path: string;

  constructor(private readonly dir: string, private readonly log: Logger, private readonly now: () => number = Date.now) {
    this.path = join(dir, 'state.json');
  }

  load(): PersistedState | null {
    if (!existsSync(this.path)) return null;
    let reason: string | null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
      reason = problem(parsed);
    } catch (e) {
      reason = e instanceof SyntaxError ? `invalid JSON: ${e.message}` : `unreadable: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
    if (reason === null) return parsed as PersistedState;
    // Never crash on a bad state file, and never delete evidence: move it aside.
    const aside = `${this.path}.corrupt-${this.now()}`;
    try {
      renameSync(this.path, aside);
    } catch (e) {
      throw new SkewwatchError('state', `state file ${this.path} is corrupt (${reason}) and cannot be moved aside: ${String(e)}`);
    }
    this.log.error({ path: this.path, movedTo: aside, reason }, 'state file is corrupt: moved aside, starting with empty alert state');
    return null;
  }

  save(state: PersistedState): void {
    try {
      writeFileAtomicParts(this.path, stateParts(state));
    } catch (e) {
      throw new SkewwatchError('state', `cannot write state to ${this.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
    }
  }
}

/** An in-memory store for tests and for `check`/`replay`, which must not touch the daemon's state. */
export class MemoryStateStore implements StateStore {
  saved: PersistedState | null = null;
  saves = 0;
  load(): PersistedState | null {
    return this.saved ? (JSON.parse(JSON.stringify(this.saved)) as PersistedState) : null;
  }
  save(state: PersistedState): void {
    this.saved = JSON.parse(JSON.stringify(state)) as PersistedState;
    this.saves++;
  }
}
