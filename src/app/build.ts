// Turns a validated config into the daemon's parts: the source, the
// notifiers, the analysis options and the evaluator context. The only place
// that knows both the config's shape and the modules' option types.
import { readFileSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import type { RawConfig } from '../config/schema.js';
import { formatPromDuration } from '../config/units.js';
import { resolveAnalysisOptions, type AnalysisOptions } from '../core/analysis/options.js';
import type { EvaluatorContext } from '../core/alerting/evaluator.js';
import { getPreset } from '../presets/index.js';
import type { Preset } from '../presets/preset.js';
import type { QuerySet } from '../signals/query-set.js';
import { expandTemplate } from '../presets/custom.js';
import { PrometheusApi } from '../sources/prometheus-api.js';
import { equalityMatchers, joinMatchers } from '../signals/promql-text.js';
import { PrometheusSource } from '../sources/prometheus.js';
import { SIGNALS, type Signal } from '../signals/query-set.js';
import { createScrapeSource, type ScrapeTarget } from '../sources/scrape.js';
import type { Source } from '../sources/source.js';
import type { HttpClientSettings } from '../sources/http-options.js';
import type { Notifier } from '../notify/notifier.js';
import { SlackNotifier } from '../notify/slack.js';
import { PagerDutyNotifier } from '../notify/pagerduty.js';
import { AlertmanagerNotifier } from '../notify/alertmanager.js';
import { WebhookNotifier } from '../notify/webhook.js';
import type { Clock } from '../util/clock.js';

type HttpSection = {
  timeout?: number | undefined;
  headers: Record<string, string>;
  bearer_token?: string | undefined;
  basic_auth?: { username: string; password?: string | undefined } | undefined;
  tls?: { ca_file?: string | undefined; cert_file?: string | undefined; key_file?: string | undefined; server_name?: string | undefined; insecure_skip_verify: boolean } | undefined;
};

export function httpSettings(s: HttpSection, defaultTimeoutMs: number): HttpClientSettings {
  return {
    timeoutMs: s.timeout ?? defaultTimeoutMs,
    headers: s.headers,
    ...(s.bearer_token ? { bearerToken: s.bearer_token } : {}),
    ...(s.basic_auth ? { basicAuth: { username: s.basic_auth.username, password: s.basic_auth.password ?? '' } } : {}),
    ...(s.tls
      ? {
          tls: {
            ...(s.tls.ca_file ? { caFile: s.tls.ca_file } : {}),
            ...(s.tls.cert_file ? { certFile: s.tls.cert_file } : {}),
            ...(s.tls.key_file ? { keyFile: s.tls.key_file } : {}),
            ...(s.tls.server_name ? { serverName: s.tls.server_name } : {}),
            insecureSkipVerify: s.tls.insecure_skip_verify,
          },
        }
      : {}),
  };
}

export function buildPreset(config: RawConfig): Preset {
  const s = config.source;
  if (s.preset === 'custom') {
    return getPreset('custom', {
      poolLabels: s.pool_labels ?? [],
      backendLabel: s.backend_label ?? '',
      queries: { ...signalQueries(s.queries ?? {}), rate: s.queries?.rate ?? '' },
    });
  }
  return getPreset(s.preset, presetOptionsOf(s) as never);
}

/** source.preset_options (snake_case, validated by the schema) -> the preset's own option type. */
function presetOptionsOf(s: RawConfig['source']): unknown {
  const o = (s.preset_options ?? {}) as Record<string, unknown>;
  const pick = (from: string, to: string) => (o[from] !== undefined ? { [to]: o[from] } : {});
  switch (s.preset) {
    case 'haproxy':
      return pick('backup_servers', 'backupServers');
    case 'nginx':
      return pick('flavour', 'flavour');
    case 'traefik':
      return { ...pick('job', 'job'), ...pick('groups', 'groups') };
    case 'kubernetes':
      return { ...pick('workload_label', 'workloadLabel'), ...pick('request_metric', 'requestMetric'), ...pick('error_matcher', 'errorMatcher') };
    default:
      return undefined;
  }
}

export function buildAnalysisOptions(config: RawConfig): AnalysisOptions {
  const a = config.analysis;
  return resolveAnalysisOptions({
    ...(a.alpha !== undefined ? { alpha: a.alpha } : {}),
    ...(a.min_requests !== undefined ? { minRequests: a.min_requests } : {}),
    ...(a.min_rate !== undefined ? { minRate: a.min_rate } : {}),
    ...(a.skew_ratio !== undefined ? { skewRatio: a.skew_ratio } : {}),
    ...(a.outlier_z !== undefined ? { outlierZ: a.outlier_z } : {}),
    ...(a.hot_utilisation !== undefined ? { hotUtilisation: a.hot_utilisation } : {}),
    ...(a.saturation_threshold !== undefined ? { saturationThreshold: a.saturation_threshold } : {}),
    ...(a.horizon !== undefined ? { horizonSeconds: a.horizon / 1000 } : {}),
    ...(a.history !== undefined ? { historySeconds: a.history / 1000 } : {}),
    ...(a.pouring_share !== undefined ? { pouringShare: a.pouring_share } : {}),
    ...(a.cpu_capacity_cores !== undefined ? { cpuCapacityCores: a.cpu_capacity_cores } : {}),
    defaultWindowSeconds: config.source.rate_window / 1000,
  });
}

type ConfigQueries = NonNullable<RawConfig['source']['queries']>;

/** Config query keys (snake_case) -> QuerySet signals. */
function signalQueries(o: ConfigQueries): Partial<QuerySet> {
  return {
    ...(o.rate ? { rate: o.rate } : {}),
    ...(o.weight ? { weight: o.weight } : {}),
    ...(o.health ? { health: o.health } : {}),
    ...(o.cpu ? { cpu: o.cpu } : {}),
    ...(o.cpu_capacity ? { cpuCapacity: o.cpu_capacity } : {}),
    ...(o.queue ? { queue: o.queue } : {}),
    ...(o.errors ? { errors: o.errors } : {}),
  };
}

/**
 * The preset's queries with the config's overrides applied. Overrides are
 * templates like the custom preset's ({{window}}, {{matchers}},
 * {{,matchers}}) and are expanded the same way.
 */
export function buildQueries(config: RawConfig, preset: Preset): QuerySet {
  const s = config.source;
  const ctx = { window: formatPromDuration(s.rate_window), matchers: joinMatchers(equalityMatchers(s.labels), s.matchers) };
  const overrides = Object.fromEntries(Object.entries(signalQueries(s.queries ?? {})).map(([k, v]) => [k, expandTemplate(v, ctx)]));
  return { ...preset.queries(ctx), ...overrides };
}

export interface SourceHooks {
  onWarning?: (message: string, signal: string) => void;
}

export function buildSource(config: RawConfig, clock: Clock, hooks: SourceHooks = {}): Source {
  const s = config.source;
  const preset = buildPreset(config);
  if (s.mode === 'scrape') {
    const sc = s.scrape!;
    const targets: ScrapeTarget[] = sc.targets.map((t) => {
      const http = httpSettings(t, sc.timeout);
      return {
        url: t.url,
        role: t.role,
        ...(Object.keys(t.labels).length > 0 ? { labels: t.labels } : {}),
        timeoutMs: http.timeoutMs,
        headers: http.headers ?? {},
        ...(http.bearerToken ? { bearerToken: http.bearerToken } : {}),
        ...(http.basicAuth ? { basicAuth: http.basicAuth } : {}),
        ...(t.tls
          ? {
              tls: {
                ...(t.tls.ca_file ? { ca: readFileSync(t.tls.ca_file, 'utf8') } : {}),
                ...(t.tls.cert_file ? { cert: readFileSync(t.tls.cert_file, 'utf8') } : {}),
                ...(t.tls.key_file ? { key: readFileSync(t.tls.key_file, 'utf8') } : {}),
                ...(t.tls.server_name ? { serverName: t.tls.server_name } : {}),
                insecureSkipVerify: t.tls.insecure_skip_verify,
              },
            }
          : {}),
      };
    });
    // Smooth over the rate window: as many scrapes as fit in it (at least 2).
    const smoothingScrapes = Math.max(2, Math.round(s.rate_window / config.interval) + 1);
    return createScrapeSource({
      preset,
      targets,
      concurrency: sc.concurrency,
      maxBytes: sc.max_response_bytes,
      timeoutMs: sc.timeout,
      smoothingScrapes,
      // Pools are selected as in query mode (the same matchers and regexes).
      matchers: joinMatchers(equalityMatchers(s.labels), s.matchers),
      ...(s.include_pools ? { includePools: s.include_pools } : {}),
      ...(s.exclude_pools ? { excludePools: s.exclude_pools } : {}),
      ...(hooks.onWarning ? { onWarning: hooks.onWarning } : {}),
      ...(config.analysis.cpu_capacity_cores ? { cpuCapacityHint: config.analysis.cpu_capacity_cores } : {}),
      clock,
    });
  }
  const p = s.prometheus!;
  // Signals the user set (source.queries.*, SKEWWATCH_CPU_QUERY) are named by
  // their config key; the preset's own by the preset.
  const explicit = new Set(Object.keys(signalQueries(s.queries ?? {})) as Signal[]);
  const signalOrigins = Object.fromEntries(SIGNALS.filter((sig) => !explicit.has(sig)).map((sig) => [sig, `preset ${s.preset} (${sig})`]));
  return new PrometheusSource({
    signalOrigins,
    explicit,
    api: new PrometheusApi({ url: p.url, method: p.method, ...httpSettings(p, 10_000), maxResponseBytes: p.max_response_bytes }),
    queries: buildQueries(config, preset),
    poolLabels: s.pool_labels ?? preset.poolLabels,
    backendLabel: s.backend_label ?? preset.backendLabel,
    windowMs: s.rate_window,
    maxConcurrentQueries: p.max_concurrent_queries,
    ...(s.include_pools ? { includePools: s.include_pools } : {}),
    ...(s.exclude_pools ? { excludePools: s.exclude_pools } : {}),
    ...(hooks.onWarning ? { onWarning: hooks.onWarning } : {}),
  });
}

export function buildNotifiers(config: RawConfig, clock: Clock): Notifier[] {
  const { sinks } = config;
  const prometheusUrl = config.links.prometheus_url ?? config.source.prometheus?.url;
  // Graph links in messages show the request-rate query behind the verdict.
  const graph = prometheusUrl ? { prometheusUrl, prometheusQuery: buildQueries(config, buildPreset(config)).rate } : {};
  const out: Notifier[] = [];
  if (sinks.slack?.webhook_url) {
    out.push(new SlackNotifier({
      webhookUrl: sinks.slack.webhook_url,
      clock,
      timeoutMs: sinks.slack.timeout,
      rateLimit: { perSecond: sinks.slack.max_per_second, burst: 1 },
      ...graph,
    }));
  }
  if (sinks.pagerduty?.routing_key) {
    const pd = sinks.pagerduty;
    const isDefaultUrl = pd.url === 'https://events.pagerduty.com/v2/enqueue';
    out.push(new PagerDutyNotifier({
      routingKey: pd.routing_key!,
      clock,
      timeoutMs: pd.timeout,
      ...(pd.region ? { region: pd.region } : {}),
      ...(!isDefaultUrl || !pd.region ? { url: pd.url } : {}),
      ...(pd.source ? { source: pd.source } : {}),
      ...(pd.group ? { group: pd.group } : {}),
      ...graph,
    }));
  }
  if (sinks.alertmanager) {
    const am = sinks.alertmanager;
    const http = httpSettings(am, 10_000);
    out.push(new AlertmanagerNotifier({
      url: am.url,
      clock,
      timeoutMs: http.timeoutMs,
      headers: http.headers ?? {},
      ...(http.bearerToken ? { bearerToken: http.bearerToken } : {}),
      ...(http.basicAuth ? { basicAuth: http.basicAuth } : {}),
      resolveTimeoutMs: am.resolve_timeout,
      ...graph,
    }));
  }
  for (const w of sinks.webhooks) {
    out.push(new WebhookNotifier({ name: `webhook:${w.name}`, url: w.url!, clock, headers: w.headers, timeoutMs: w.timeout }));
  }
  return out;
}

export function buildEvaluatorContext(loaded: LoadedConfig, notifiers: readonly Notifier[]): EvaluatorContext {
  const { config } = loaded;
  const runbook = config.links.runbook_url;
  return {
    namespace: config.namespace,
    // links.runbook_url is the runbook of every rule that names none itself.
    rules: runbook ? loaded.rules.map((r) => (r.annotations.runbook_url ? r : { ...r, annotations: { ...r.annotations, runbook_url: runbook } })) : loaded.rules,
    alertmanagerResendMs: config.sinks.alertmanager ? config.sinks.alertmanager.resend_interval : null,
    availableSinks: new Set(notifiers.map((n) => n.name)),
    inhibitRules: loaded.inhibitRules,
    forOutageToleranceMs: config.alerting.for_outage_tolerance,
    intervalMs: config.interval,
    vanishedPoolGraceMs: config.alerting.vanished_pool_grace,
  };
}
