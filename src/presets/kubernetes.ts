// Kubernetes: pods behind a Service, compared by their own request counters.
// ingress-nginx's nginx_ingress_controller_requests has no upstream pod label,
// and kube-proxy exports no per-endpoint traffic, so requests come from the
// application (default http_requests_total), scraped by Prometheus with
// namespace/<workload>/pod target labels (Prometheus Operator ServiceMonitor:
// namespace, service, pod). CPU comes from cAdvisor's
// container_cpu_usage_seconds_total{container!=""} and capacity from
// kube-state-metrics' kube_pod_container_resource_limits{resource="cpu"}.
// Neither carries the workload label, so both are joined to the request
// series on (namespace, pod) to pick it up.
//
// The context's matchers are ANDed into every selector, including the cAdvisor
// and kube-state-metrics ones: use labels all three share (namespace), not job.
//
// Scrape mode reads a Prometheus /federate exposition of the same series
// (match[]={__name__=~"http_requests_total|container_cpu_usage_seconds_total|kube_pod_container_resource_limits|up"}).

import { parseSimpleMatcher } from '../signals/label-matchers.js';
import type { Family } from '../signals/exposition-types.js';
import { scrapePreset } from './extract.js';
import type { Preset, QueryContext, QuerySet } from './preset.js';
import { agg, by, sel, sumRate } from './promql.js';

export interface KubernetesOptions {
  /** Label naming the workload a pod belongs to (the pool). Default "service". */
  readonly workloadLabel?: string;
  /** Application request counter. Default "http_requests_total". */
  readonly requestMetric?: string;
  /** Matcher selecting 5xx samples of the request counter. Default `code=~"5.."`. */
  readonly errorMatcher?: string;
}

export const KUBERNETES_METRICS = {
  cpu: 'container_cpu_usage_seconds_total',
  limits: 'kube_pod_container_resource_limits',
  up: 'up',
} as const;

export function createKubernetesPreset(options: KubernetesOptions = {}): Preset {
  const workload = options.workloadLabel ?? 'service';
  const requestMetric = options.requestMetric ?? 'http_requests_total';
  const errorMatcher = options.errorMatcher ?? 'code=~"5.."';
  const pool = ['namespace', workload];
  const backend = 'pod';
  const labels = [...pool, backend];
  const m = KUBERNETES_METRICS;

  // Attach the workload label to per-pod series that lack it.
  const joinWorkload = (perPod: string, ctx: QueryContext): string =>
    agg(
      'sum',
      labels,
      `${perPod} * on (namespace, pod) group_left(${workload}) group ${by(labels)} (${sel(requestMetric, ctx)})`,
    );

  const queries = (ctx: QueryContext): QuerySet => ({
    rate: sumRate(labels, sel(requestMetric, ctx), ctx),
    health: agg('max', labels, sel(m.up, ctx)),
    cpu: joinWorkload(sumRate(['namespace', 'pod'], sel(m.cpu, ctx, 'container!=""'), ctx), ctx),
    cpuCapacity: joinWorkload(agg('sum', ['namespace', 'pod'], sel(m.limits, ctx, 'resource="cpu"')), ctx),
    errors: sumRate(labels, sel(requestMetric, ctx, errorMatcher), ctx),
  });

  const errorWhere = parseSimpleMatcher(errorMatcher);
  const preset = scrapePreset({
    name: 'kubernetes',
    description: `Pods of a Kubernetes workload (${requestMetric} by namespace, ${workload}, pod; cAdvisor CPU)`,
    poolLabels: pool,
    backendLabel: backend,
    queries,
    scrape: {
      joinOn: ['namespace'],
      requests: [{ metric: requestMetric }],
      errors: { metric: requestMetric, where: errorWhere },
      cpuSeconds: { metric: m.cpu, where: (l) => (l.container ?? '') !== '' && l.container !== 'POD' },
      cpuCapacity: { metric: m.limits, where: (l) => l.resource === 'cpu' },
      health: { metric: m.up, decode: (s) => (s.value >= 1 ? 'up' : s.value === 0 ? 'down' : undefined) },
    },
  });
  return { ...preset, scrape: { ...preset.scrape, diagnose: diagnoseKubernetes } };
}

/**
 * kube-state-metrics (and cAdvisor via a scrape job) scraped without
 * `honor_labels: true` has its namespace/pod renamed exported_namespace/
 * exported_pod (Prometheus keeps its own target labels), so the capacity (or
 * CPU) join on (namespace, pod) finds nothing. Say which metric and the fix.
 */
export function diagnoseKubernetes(families: readonly Family[]): string[] {
  const out: string[] = [];
  for (const name of [KUBERNETES_METRICS.limits, KUBERNETES_METRICS.cpu]) {
    const hit = families.some((f) => f.samples.some((s) => s.name === name && (s.labels.exported_pod !== undefined || s.labels.exported_namespace !== undefined)));
    if (hit) {
      out.push(
        `${name} carries exported_namespace/exported_pod: its exporter is scraped without honor_labels, so its pod labels were renamed and the join on (namespace, pod) misses them; set honor_labels: true on that scrape job`,
      );
    }
  }
  return out;
}

export { parseSimpleMatcher } from '../signals/label-matchers.js';
