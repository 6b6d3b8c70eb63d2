// A preset from user-given PromQL and label names, for balancers and
// applications the shipped presets do not know.
//
// Query templates may use {{window}} (the rate() range), {{matchers}} (the
// context's matchers, possibly empty) and {{,matchers}} (a comma plus the
// matchers, or nothing: for appending to an existing label list), e.g.
//   rate: 'sum by (pool, host) (rate(my_requests_total{role="web"{{,matchers}}}[{{window}}]))'
//
// For scrape mode give `scrape`: which sample names carry which signal.

import type { Health } from '../core/types.js';
import { SkewwatchError } from '../util/errors.js';
import { createExtractor, type SignalSpec } from './extract.js';
import { parseSimpleMatcher } from '../signals/label-matchers.js';
import { HEALTH_MAINT, HEALTH_UP, type Preset, type QueryContext, type QuerySet } from './preset.js';

export interface CustomSignal {
  readonly metric: string;
  /** Optional single matcher restricting samples, e.g. `code="5xx"`. */
  readonly match?: string;
}

export interface CustomScrapeOptions {
  /** Request counters in order of preference (per pool the first present wins). */
  readonly requests: CustomSignal | readonly CustomSignal[];
  readonly errors?: CustomSignal;
  readonly weight?: CustomSignal;
  readonly queue?: CustomSignal;
  readonly sessions?: CustomSignal;
  readonly cpuSeconds?: CustomSignal;
  readonly cpuCapacity?: CustomSignal;
  /** Gauge with HEALTH_* values (1 up, 0 down, 2 maint). */
  readonly health?: CustomSignal;
}

export interface CustomOptions {
  readonly poolLabels: readonly string[];
  readonly backendLabel: string;
  /** PromQL templates; `rate` is required. */
  readonly queries?: { readonly rate: string } & Partial<Record<Exclude<keyof QuerySet, 'rate'>, string>>;
  readonly scrape?: CustomScrapeOptions;
  readonly description?: string;
}

const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function expandTemplate(template: string, ctx: QueryContext): string {
  const m = ctx.matchers.trim();
  return template
    .split('{{window}}')
    .join(ctx.window)
    .split('{{,matchers}}')
    .join(m === '' ? '' : ',' + m)
    .split('{{matchers}}')
    .join(m);
}

function toSpec(s: CustomSignal): SignalSpec {
  return s.match === undefined ? { metric: s.metric } : { metric: s.metric, where: parseSimpleMatcher(s.match) };
}

export function createCustomPreset(options: CustomOptions): Preset {
  if (!Array.isArray(options.poolLabels) || options.poolLabels.some((l) => !LABEL.test(l))) {
    throw new SkewwatchError('config', 'custom preset: poolLabels must be a list of label names');
  }
  if (typeof options.backendLabel !== 'string' || !LABEL.test(options.backendLabel)) {
    throw new SkewwatchError('config', 'custom preset: backendLabel must be a label name');
  }
  if (options.queries === undefined && options.scrape === undefined) {
    throw new SkewwatchError('config', 'custom preset: give queries (query mode), scrape (scrape mode) or both');
  }
  const templates = options.queries;
  const queries = (ctx: QueryContext): QuerySet => {
    if (templates === undefined) {
      throw new SkewwatchError('config', 'custom preset: no queries configured, it can only be used in scrape mode');
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(templates)) if (typeof v === 'string') out[k] = expandTemplate(v, ctx);
    return out as unknown as QuerySet;
  };
  const sc = options.scrape;
  let scrape;
  if (sc !== undefined) {
    const requests = (Array.isArray(sc.requests) ? sc.requests : [sc.requests]) as readonly CustomSignal[];
    const opt = (s: CustomSignal | undefined): SignalSpec | undefined => (s === undefined ? undefined : toSpec(s));
    const health = sc.health;
    scrape = createExtractor({
      poolLabels: options.poolLabels,
      backendLabel: options.backendLabel,
      requests: requests.map(toSpec),
      ...(sc.errors && { errors: toSpec(sc.errors) }),
      ...(sc.weight && { weight: toSpec(sc.weight) }),
      ...(sc.queue && { queue: toSpec(sc.queue) }),
      ...(sc.sessions && { sessions: toSpec(sc.sessions) }),
      ...(sc.cpuSeconds && { cpuSeconds: opt(sc.cpuSeconds)! }),
      ...(sc.cpuCapacity && { cpuCapacity: opt(sc.cpuCapacity)! }),
      ...(health && {
        health: {
          ...toSpec(health),
          decode: (s): Health | undefined =>
            s.value === HEALTH_UP ? 'up' : s.value === HEALTH_MAINT ? 'maint' : s.value === 0 ? 'down' : undefined,
        },
      }),
    });
  }
  return {
    name: 'custom',
    description: options.description ?? 'user-defined queries and labels',
    poolLabels: [...options.poolLabels],
    backendLabel: options.backendLabel,
    queries,
    ...(scrape && { scrape }),
  };
}
