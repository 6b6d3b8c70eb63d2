import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { parseDuration } from '../config/units.js';
import { addSilence, expireSilence, readSilenceFile } from '../state/silences.js';
import { parse, UsageError, EXIT_OK, EXIT_ALERTING, type CommandIo } from './args.js';
import { renderTable } from './table.js';

const HELP = `Usage:
  skewwatch silence add --duration 2h|forever [--pool REGEX] [--rule REGEX] [--start ISO] --comment TEXT
  skewwatch silence list
  skewwatch silence expire ID

Silences (maintenance windows) suppress notifications of matching alerts for a
time. Alerts keep being evaluated; a silenced alert that is still firing when
the silence ends is announced then. Silences are written to silences.json in
the state dir, which the running daemon reads every cycle.

Options:
      --state-dir DIR   state directory (default: from --config, SKEWWATCH_STATE_DIR, or .skewwatch-state)
  -c, --config FILE     config file to read state_dir from
      --pool REGEX      pools to silence (whole-value regex; default all)
      --rule REGEX      rules to silence (whole-value regex; default all)
      --duration D      how long, e.g. 30m, 2h, or forever (until expired; required for add)
      --start ISO       start time (default now)
      --comment TEXT    why (required for add)
      --author NAME     who (default $USER)
  -h, --help            show this help`;

/**
 * "forever" ends at the last millisecond JSON and Date can both represent
 * plainly (9999-12-31): the silence file stays ordinary numbers, and every
 * reader's `endsAt > now` keeps working.
 */
export const FOREVER = Date.parse('9999-12-31T23:59:59.999Z');

const endText = (endsAt: number) => (endsAt >= FOREVER ? 'forever' : new Date(endsAt).toISOString());

export async function silenceCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parse(argv, {
    'state-dir': { type: 'string' }, config: { type: 'string', short: 'c' }, pool: { type: 'string' }, rule: { type: 'string' },
    duration: { type: 'string' }, start: { type: 'string' }, comment: { type: 'string' }, author: { type: 'string' },
  }, HELP, io, true);
  if (!args) return EXIT_OK;
  const [action, id] = args.positionals;
  const v = args.values;
  const stateDir = resolve(v['state-dir'] ?? (v.config || io.env.SKEWWATCH_STATE_DIR ? loadConfig({ ...(v.config ? { file: v.config } : {}), env: io.env }).config.state_dir : '.skewwatch-state'));
  const now = Date.now();
  switch (action) {
    case 'add': {
      if (v.duration === undefined) throw new UsageError(`silence add: --duration is required (e.g. 30m, 2h, forever)\n\n${HELP}`);
      const forever = v.duration === 'forever';
      const ms = forever ? null : parseDuration(v.duration);
      if (!forever && !ms) throw new UsageError(`silence add: --duration: expected a duration such as 30m or 2h, or forever; got ${JSON.stringify(v.duration)}`);
      if (!v.comment) throw new UsageError(`silence add: --comment is required: say why, for the next person on call\n\n${HELP}`);
      for (const [flag, re] of [['--pool', v.pool], ['--rule', v.rule]] as const) {
        if (re === undefined) continue;
        try { new RegExp(re); } catch (e) { throw new UsageError(`silence add: ${flag}: invalid regex: ${(e as Error).message}`); }
      }
      const startsAt = v.start ? Date.parse(v.start) : now;
      if (Number.isNaN(startsAt)) throw new UsageError(`silence add: --start: expected an ISO 8601 time, got ${JSON.stringify(v.start)}`);
      const s = addSilence(stateDir, {
        ...(v.pool !== undefined ? { pool: v.pool } : {}),
        ...(v.rule !== undefined ? { rule: v.rule } : {}),
        startsAt, endsAt: forever ? FOREVER : startsAt + ms!, comment: v.comment, createdBy: v.author ?? io.env.USER ?? 'cli',
      }, now);
      io.out.write(`silence ${s.id} until ${forever ? 'expired (forever)' : new Date(s.endsAt).toISOString()} (pool ${s.pool ?? '.*'}, rule ${s.rule ?? '.*'})\n`);
      return EXIT_OK;
    }
    case 'list': {
      const active = readSilenceFile(stateDir).filter((s) => s.endsAt > now);
      if (active.length === 0) io.out.write('no active silences\n');
      else io.out.write(`${renderTable(['ID', 'POOL', 'RULE', 'STARTS', 'ENDS', 'BY', 'COMMENT'], active.map((s) => [s.id, s.pool ?? '.*', s.rule ?? '.*', new Date(s.startsAt).toISOString(), endText(s.endsAt), s.createdBy, s.comment]))}\n`);
      return EXIT_OK;
    }
    case 'expire': {
      if (!id) throw new UsageError(`silence expire: give the silence ID (see 'skewwatch silence list')`);
      if (!expireSilence(stateDir, id, now)) {
        io.err.write(`no active silence with id ${id}\n`);
        return EXIT_ALERTING;
      }
      io.out.write(`silence ${id} expired\n`);
      return EXIT_OK;
    }
    default:
      throw new UsageError(`silence: expected add, list or expire\n\n${HELP}`);
  }
}
