// Shared test fixtures for the notify tests: a fake clock, notification and
// verdict builders, a log capture.

import type { BackendStat, PoolVerdict } from '../../src/core/types.js';
import type { Clock } from '../../src/util/clock.js';
import { createLogger, type Logger } from '../../src/util/logger.js';
import type { Notification } from '../../src/core/alerting/notification.js';

export const T0 = Date.parse('2026-11-21T09:00:00Z');

export class FakeClock implements Clock {
  private waiters: Array<{ at: number; resolve: () => void }> = [];
  constructor(private t = T0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
    for (const w of [...this.waiters]) {
      if (w.at <= this.t) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const w = { at: this.t + ms, resolve };
      this.waiters.push(w);
      signal?.addEventListener('abort', () => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(signal.reason);
      }, { once: true });
    });
  }
}

export function backendStats(n: number): BackendStat[] {
  const out: BackendStat[] = [];
  const expected = 1 / (n - 1); // one backend is down
  for (let i = 0; i < n; i++) {
    const name = `web-${String(i).padStart(3, '0')}`;
    if (i === n - 1) {
      out.push({ backend: name, health: 'down', weight: 1, rate: 0, share: 0, expectedShare: 0, ratio: 0, utilisation: null, queue: null, z: 0, outlier: null });
      continue;
    }
    let share = expected;
    let outlier: BackendStat['outlier'] = null;
    if (i === 0) {
      share = Math.min(0.6, expected * 3.2);
      outlier = 'hot';
    } else if (i === 1) {
      share = expected * 0.1;
      outlier = 'starved';
    } else {
      share = expected * (0.9 + ((i * 7) % 10) / 50);
    }
    out.push({
      backend: name,
      health: 'up',
      weight: 1,
      rate: share * 1000,
      share,
      expectedShare: expected,
      ratio: share / expected,
      utilisation: i === 0 ? 0.93 : 0.4 + (i % 5) / 20,
      queue: i === 0 ? 42 : 0,
      z: outlier === 'hot' ? 8 : outlier === 'starved' ? -4 : 0.3,
      outlier,
    });
  }
  return out;
}

export function verdict(n = 6, pool = 'be_app'): PoolVerdict {
  const backends = backendStats(n);
  return {
    pool,
    labels: { proxy: pool },
    at: T0,
    severity: 'critical',
    reasons: ['skew', 'hot', 'saturating'],
    explanation: `web-000 takes ${(backends[0]!.share * 100).toFixed(0)}% of ${pool}'s traffic (expected ${(backends[0]!.expectedShare * 100).toFixed(0)}%) and is at 93% CPU`,
    totalRate: 1000,
    upCount: n - 1,
    unavailable: [backends[n - 1]!.backend],
    hot: ['web-000'],
    starved: ['web-001'],
    stats: { peakRatio: 3.2, minRatio: 0.1, cv: 0.9, gini: 0.4, jain: 0.5, entropy: 0.7, maxDeviationPp: 30, gStatistic: 900, pValue: 1e-12, volume: 60000, significant: true },
    cpu: { hottest: 'web-000', maxUtilisation: 0.93, spread: 0.4, followsRequests: true },
    forecast: { backend: 'web-000', secondsToSaturation: 360, slopePerSecond: 0.0005, threshold: 0.95, current: 0.93 },
    backends,
  };
}

let counter = 0;
export function notification(over: Partial<Notification> = {}): Notification {
  counter++;
  return {
    id: `n-${counter}`,
    dedupKey: 'rule-skew/be_app',
    kind: 'trigger',
    ruleId: 'skew',
    ruleName: 'TrafficSkew',
    severity: 'critical',
    pool: 'be_app',
    poolLabels: { proxy: 'be_app' },
    startsAt: T0,
    createdAt: T0,
    summary: 'be_app is skewed: web-000 gets 3.2x its share',
    annotations: { runbook_url: 'https://runbooks.example.com/skew', description: 'Traffic is not spread as configured.' },
    labels: { team: 'edge' },
    verdict: verdict(),
    generatorUrl: 'http://skewwatch.example.com/api/v1/status',
    ...over,
  };
}

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: string[];
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', stream: { write: (s: string) => void lines.push(s) } });
  return { logger, lines };
}

/**
 * Fixed, obviously fake secrets. The routing key has PagerDuty's 32
 * characters and no long run of one digit: the leak checks look for any 10
 * characters of a secret in a row, and a run of zeros also turns up in
 * timestamps and floats (20.000000000000004), a false leak under load.
 */
export const SECRETS = {
  routingKey: 'R0UT1NGK3YS3CR3Tq7Zx4Wm9Lp2Vb8Nh',
  bearer: 'am-bearer-s3cr3t-token',
  basicPassword: 'am-basic-pa55word',
  webhookToken: 'whk-s3cr3t-header-value',
} as const;
