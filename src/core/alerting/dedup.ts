import { createHash } from 'node:crypto';

/** Pool id used by source-level (meta) alerts such as "skewwatch is blind". */
export const SOURCE_POOL = '(source)';

/**
 * Stable dedup key for one rule on one pool: the same across restarts and
 * across replicas sharing a namespace, so PagerDuty and Alertmanager collapse
 * what two replicas (or a restarted one) send. 32 hex chars of SHA-256.
 */
export function dedupKey(namespace: string, ruleId: string, pool: string): string {
  return createHash('sha256').update(`skewwatch\0${namespace}\0${ruleId}\0${pool}`).digest('hex').slice(0, 32);
}

/** Key of a tracked alert inside one process's state. */
export function alertKey(ruleId: string, pool: string): string {
  return `${ruleId}\u0000${pool}`;
}
