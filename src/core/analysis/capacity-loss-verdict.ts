// The verdict with a capacity loss applied (capacity-loss.ts): critical with
// reason 'capacity-loss' (plus 'saturating' when the survivors' forecast is
// within the horizon), and a line an on-call can act on: who left, how and
// when, what the survivors now carry, where their CPU is heading, and the
// two fixes (return the servers to service, or add capacity).
import type { ReasonCode } from '../types.js';
import type { AnalysisOptions } from './options.js';
import type { CapacityLoss } from './capacity-loss.js';
import { duration, pct, type Decision } from './verdict.js';
import { FLAT_SLOPE_PER_SECOND } from './forecast.js';

function names(list: readonly string[], max = 3): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} +${list.length - max} more`;
}

function ago(seconds: number): string {
  return seconds < 90 ? `${Math.max(1, Math.round(seconds))} s ago` : `${duration(seconds).slice(1)} ago`;
}

export function capacityLossText(c: CapacityLoss, pool: string): string {
  const k = c.factor >= 10 ? Math.round(c.factor).toString() : c.factor.toFixed(1).replace(/\.0$/, '');
  let text = `${names(c.departed)} went ${c.how} ${ago(c.secondsAgo)}: ${pct(c.lostShare)} of ${pool}'s in-service capacity left while its traffic stayed; `;
  text += c.survivors.length === 1
    ? `${c.survivors[0]} now carries all of it (${k}× its earlier load)`
    : `the ${c.survivors.length} left (${names(c.survivors)}) carry ${k}× their earlier load`;
  text += `, ${c.hottest} at CPU ${c.current.toFixed(2)}`;
  if (c.before >= 0) text += ` (was ${c.before.toFixed(2)}, ~${c.projected.toFixed(2)} once the window fills)`;
  if (c.slopePerSecond > FLAT_SLOPE_PER_SECOND) text += ' and rising';
  if (c.secondsToSaturation === 0) text += ', saturated';
  else if (c.secondsToSaturation !== null && c.slopePerSecond > FLAT_SLOPE_PER_SECOND) text += `, saturates in ${duration(c.secondsToSaturation)}`;
  return `${text}: return ${c.departed.length === 1 ? 'it' : 'them'} to service or add capacity`;
}

export function withCapacityLoss(decision: Decision, loss: CapacityLoss | null, pool: string, opts: AnalysisOptions): Decision {
  if (loss === null || decision.dataGap) return decision;
  const saturating = loss.secondsToSaturation !== null && loss.secondsToSaturation <= opts.horizonSeconds && loss.why === 'saturating';
  if (decision.severity === 'critical') {
    // Already paging for another reason: the capacity loss is the context.
    const reasons: ReasonCode[] = [...decision.reasons, 'capacity-loss'];
    return { ...decision, reasons, explanation: `${decision.explanation}; ${capacityLossText(loss, pool)}` };
  }
  const reasons: ReasonCode[] = saturating ? ['capacity-loss', 'saturating'] : ['capacity-loss'];
  return { severity: 'critical', reasons, explanation: capacityLossText(loss, pool) };
}
