// Cron expressions are checked at config load, with node-cron's own parser,
// so `validate` and the scheduler can never disagree.
import cron from 'node-cron';

/** Why a cron expression is invalid, or null when it is valid. */
export function cronProblem(expression: string): string | null {
  const r = cron.validateDetailed(expression);
  if (r.valid) return null;
  return r.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'invalid cron expression';
}
