// Traefik v2/v3. Traefik has NO per-server request counter: request metrics
// stop at the service (traefik_service_requests_total{service,code,method,
// protocol}, same name in v2 and v3), and the only per-server series is
// traefik_service_server_up{service,url}. So this preset compares services
// with each other: the children of a weighted (WRR) service, each child one
// backend. WRR weights are not exported: equal shares are expected.
//
// Pools: by default one pool per Prometheus job (scrape mode: options.job),
// so select the children of ONE weighted service with source.matchers
// (service=~"app-(blue|green)@file"). With options.groups, each group is its
// own pool (pool labels job and group): { app: 'app-(blue|green)@file',
// api: 'api-v[12]@file' }, services in no group are left out.
//
// Open connections: v2 has traefik_service_open_connections{service,...};
// v3 dropped it (only traefik_open_connections{entrypoint,protocol}, not per
// service), so v3 has no session signal. Checked against the metric lines
// Traefik v3's own integration tests assert (../shared/conformance/traefik-v3).
// Requires `metrics.prometheus.addServicesLabels: true` (the default).

import { SkewwatchError } from '../util/errors.js';
import type { Family } from '../signals/exposition-types.js';
import type { ScrapeExtractor } from '../signals/readings.js';
import { escapeLabelValue } from '../signals/promql-text.js';
import { scrapePreset } from './extract.js';
import type { Preset, QueryContext, QuerySet } from './preset.js';
import { agg, sel, sumRate } from './promql.js';

export interface TraefikOptions {
  /** Pool name used in scrape mode (the exposition has no job label). Default "traefik". */
  readonly job?: string;
  /** Pools by service: group name -> regex (anchored) over the service label. */
  readonly groups?: Readonly<Record<string, string>>;
}

export const TRAEFIK_METRICS = {
  requests: 'traefik_service_requests_total',
  serverUp: 'traefik_service_server_up',
  /** v2 only. */
  openConnections: 'traefik_service_open_connections',
} as const;

const GROUP = 'group';

export function createTraefikPreset(options: TraefikOptions = {}): Preset {
  const groups = Object.entries(options.groups ?? {}).map(([name, re]) => {
    try {
      return { name, re, test: new RegExp(`^(?:${re})$`) };
    } catch (e) {
      throw new SkewwatchError('config', `traefik preset: groups.${name}: invalid regex: ${(e as Error).message}`);
    }
  });
  const grouped = groups.length > 0;
  const pool = grouped ? ['job', GROUP] : ['job'];
  const backend = 'service';
  const labels = [...pool, backend];
  const m = TRAEFIK_METRICS;

  // Per group: the group's services, labelled with the group; joined by `or`.
  const perGroup = (build: (extra: string[]) => string, inner: (expr: string) => string): string =>
    groups
      .map((g) => agg('sum', labels, `label_replace(${inner(build([`service=~"${escapeLabelValue(g.re)}"`]))}, "${GROUP}", "${escapeLabelValue(g.name)}", "", "")`))
      .join(' or ');
  const queries = (ctx: QueryContext): QuerySet => {
    if (!grouped) {
      return {
        rate: sumRate(labels, sel(m.requests, ctx), ctx),
        // A service is up while any of its servers is up.
        health: agg('max', labels, sel(m.serverUp, ctx)),
        errors: sumRate(labels, sel(m.requests, ctx, 'code=~"5.."'), ctx),
      };
    }
    const rate = (extra: string[]) => `rate(${sel(m.requests, ctx, ...extra)}[${ctx.window}])`;
    return {
      rate: perGroup((e) => rate(e), (x) => x),
      health: groups
        .map((g) => agg('max', labels, `label_replace(${sel(m.serverUp, ctx, `service=~"${escapeLabelValue(g.re)}"`)}, "${GROUP}", "${escapeLabelValue(g.name)}", "", "")`))
        .join(' or '),
      errors: perGroup((e) => rate([...e, 'code=~"5.."']), (x) => x),
    };
  };

  const job = options.job ?? 'traefik';
  const preset = scrapePreset({
    name: 'traefik',
    description: `Traefik services as backends of a weighted service (no per-server request metrics exist; scrape-mode job ${job}${grouped ? `; pools ${groups.map((g) => g.name).join(', ')}` : ''})`,
    poolLabels: pool,
    backendLabel: backend,
    queries,
    scrape: {
      fixedPool: { job },
      requests: [{ metric: m.requests }],
      errors: { metric: m.requests, where: (l) => (l.code ?? '').startsWith('5') },
      sessions: { metric: m.openConnections },
      health: { metric: m.serverUp, decode: (s) => (s.value >= 1 ? 'up' : s.value === 0 ? 'down' : undefined) },
    },
  });
  if (!grouped) return preset;
  // Scrape mode: give each sample its group (the first that matches), drop the rest.
  const inner = preset.scrape;
  const groupOf = (service: string | undefined): string | undefined =>
    service === undefined ? undefined : groups.find((g) => g.test.test(service))?.name;
  const scrape: ScrapeExtractor = {
    ...inner,
    extract: (families: readonly Family[]) =>
      inner.extract(
        families.map((f) => ({
          ...f,
          samples: f.samples.flatMap((s) => {
            const g = groupOf(s.labels.service);
            return g === undefined ? [] : [{ ...s, labels: { ...s.labels, [GROUP]: g } }];
          }),
        })),
      ),
  };
  return { ...preset, scrape };
}
