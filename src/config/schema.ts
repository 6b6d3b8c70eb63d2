// The config file's schema: strict (unknown keys are errors, so a typo can
// never silently disable alerting), with defaults, in snake_case as in
// Prometheus and Alertmanager configs.
import { z } from 'zod';
import { duration, positiveDuration, size, regex, httpUrl, labelName, httpClient } from './fields.js';
import { inhibitRuleSchema, ruleSchema } from './rules.js';
import { presetOptionIssues, presetOptions } from './preset-options.js';
import { parseShard } from '../core/shard.js';

export const PRESET_IDS = ['haproxy', 'envoy', 'nginx', 'traefik', 'kubernetes', 'custom'] as const;

const queries = z.strictObject({
  rate: z.string().min(1),
  weight: z.string().min(1).optional(),
  health: z.string().min(1).optional(),
  cpu: z.string().min(1).optional(),
  cpu_capacity: z.string().min(1).optional(),
  queue: z.string().min(1).optional(),
  errors: z.string().min(1).optional(),
});

const prometheus = z.strictObject({
  url: httpUrl,
  method: z.enum(['GET', 'POST']).default('GET'),
  ...httpClient,
  max_response_bytes: size.default(64 * 1024 * 1024),
  /** Signal queries in flight at once (DEFAULT_QUERY_CONCURRENCY in src/sources/prometheus.ts). */
  max_concurrent_queries: z.number().int().min(1).max(64).default(4),
});

const scrapeTarget = z.strictObject({
  url: httpUrl,
  /** balancer: requests, weights, health; cpu: one backend's process or node CPU. */
  role: z.enum(['balancer', 'cpu']).default('balancer'),
  /** For cpu targets: the pool and backend labels this endpoint's CPU belongs to. */
  labels: z.record(z.string(), z.string()).default({}),
  ...httpClient,
});

const scrape = z.strictObject({
  targets: z.array(scrapeTarget).min(1, 'scrape mode needs at least one target'),
  concurrency: z.number().int().min(1).max(256).default(8),
  timeout: positiveDuration.default(5000),
  max_response_bytes: size.default(32 * 1024 * 1024),
});

const source = z.strictObject({
  mode: z.enum(['prometheus', 'scrape']).default('prometheus'),
  preset: z.enum(PRESET_IDS).default('haproxy'),
  /** rate() window in query mode, and the smoothing window in scrape mode. */
  rate_window: positiveDuration.default(60_000),
  /** Extra label matchers ANDed into every preset selector, e.g. job="haproxy" (raw PromQL). */
  matchers: z.string().default(''),
  /** Equality matchers by label value, e.g. { job: haproxy }: values are escaped for PromQL. */
  labels: z.record(labelName, z.string()).default({}),
  pool_labels: z.array(labelName).min(1).optional(),
  backend_label: labelName.optional(),
  /** PromQL per signal: required for the custom preset, overrides for the others. */
  queries: queries.partial().optional(),
  include_pools: regex.optional(),
  exclude_pools: regex.optional(),
  prometheus: prometheus.optional(),
  scrape: scrape.optional(),
  /** Per-preset settings, e.g. { flavour: vts } for nginx (see preset-options.ts). */
  preset_options: presetOptions.optional(),
}).superRefine((s, ctx) => {
  if (s.preset_options === undefined) return;
  for (const issue of presetOptionIssues(s.preset, s.preset_options)) {
    ctx.addIssue({ code: 'custom', path: ['preset_options', ...issue.path], message: issue.message });
  }
});

const analysis = z.strictObject({
  alpha: z.number().gt(0).lt(1).optional(),
  min_requests: z.number().nonnegative().optional(),
  min_rate: z.number().nonnegative().optional(),
  skew_ratio: z.number().gt(1).optional(),
  outlier_z: z.number().positive().optional(),
  hot_utilisation: z.number().gt(0).max(2).optional(),
  saturation_threshold: z.number().gt(0).max(2).optional(),
  horizon: positiveDuration.optional(),
  history: positiveDuration.optional(),
  pouring_share: z.number().gt(0).lt(1).optional(),
  cpu_capacity_cores: z.number().positive().optional(),
});

const slack = z.strictObject({
  webhook_url: httpUrl.optional(),
  webhook_url_file: z.string().optional(),
  timeout: positiveDuration.default(10_000),
  /** Slack accepts about one message per second per webhook. */
  max_per_second: z.number().positive().default(1),
});

const pagerduty = z.strictObject({
  routing_key: z.string().optional(),
  routing_key_file: z.string().optional(),
  url: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
  region: z.enum(['us', 'eu']).optional(),
  source: z.string().optional(),
  group: z.string().optional(),
  timeout: positiveDuration.default(10_000),
  /** Send balancer changes (weights, states) as PagerDuty change events, shown beside incidents. */
  change_events: z.boolean().default(true),
});

const alertmanager = z.strictObject({
  url: httpUrl,
  ...httpClient,
  /** endsAt = now + this on firing alerts, so Alertmanager expires them if we die. */
  resolve_timeout: positiveDuration.default(5 * 60_000),
  /** Re-send firing alerts this often (must be shorter than resolve_timeout). */
  resend_interval: positiveDuration.default(60_000),
});

const webhook = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected a name of letters, digits, _ or -'),
  url: httpUrl.optional(),
  url_file: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeout: positiveDuration.default(10_000),
});

const silence = z.strictObject({
  id: z.string().optional(),
  matchers: z.strictObject({ pool: regex.optional(), rule: regex.optional() }),
  starts_at: z.iso.datetime({ offset: true }).optional(),
  ends_at: z.iso.datetime({ offset: true }),
  comment: z.string().default(''),
  created_by: z.string().default('config'),
});

/** Servers of one pool as declared, for balancers skewwatch cannot read a config of. */
const declaredPool = z.strictObject({
  /** Server → weight (default 1 for members listed without one). */
  weights: z.record(z.string(), z.number().int().min(0).max(256)).default({}),
  /** Members: every server that should exist (default: the keys of weights). */
  members: z.array(z.string()).optional(),
  backup: z.array(z.string()).default([]),
  disabled: z.array(z.string()).default([]),
  algorithm: z.string().default('roundrobin'),
});

/** An expected, temporary difference from the declaration (a canary, a deliberate drain). */
const declaredOverride = z.strictObject({
  pool: z.string().min(1),
  server: z.string().min(1),
  weight: z.number().int().min(0).max(256).optional(),
  state: z.enum(['maint', 'disabled']).optional(),
  expires_at: z.iso.datetime({ offset: true }),
  comment: z.string().default(''),
});

const declared = z.strictObject({
  /** HAProxy config file the balancer runs (a sidecar mounts the same file read-only); re-read when it changes. */
  haproxy_config: z.string().min(1).optional(),
  pools: z.record(z.string(), declaredPool).default({}),
  overrides: z.array(declaredOverride).default([]),
  /** A live weight share this many times the declared share makes a drift critical. */
  concentration_factor: z.number().gt(1).default(2),
  /** How far back a page looks for balancer changes to name as the likely cause. */
  change_lookback: positiveDuration.default(10 * 60_000),
});

const remediate = z.strictObject({
  /** When a pool pages while a server's weight differs from the declared one, set it back. */
  restore_declared_weights: z.boolean().default(false),
  /** Say what would be done, do nothing (the default: turn it off deliberately). */
  dry_run: z.boolean().default(true),
  /** HAProxy runtime API: unix:/path/admin.sock, a plain socket path, or tcp://host:port. */
  runtime_api: z.string().regex(/^(unix:\/|\/|tcp:\/\/[^/\s]+:\d+$)/, 'expected unix:/path, /path or tcp://host:port').optional(),
  max_per_hour: z.number().int().min(1).default(3),
});

export const configSchema = z.strictObject({
  /** Part of every dedup key: replicas with the same namespace dedupe with each other. */
  namespace: z.string().min(1).default('default'),
  interval: positiveDuration.default(15_000),
  // Optional cron expression with seconds instead of a plain interval (every
  // 15 s: "*/15 * * * * *"). `interval` should still say the typical spacing:
  // it sets readiness and scrape-mode smoothing.
  schedule: z.string().optional(),
  /** Deadline for one cycle's collection (default: 80% of the interval). */
  evaluation_timeout: positiveDuration.optional(),
  listen: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:9465').default('0.0.0.0:9465'),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  state_dir: z.string().min(1).default('.skewwatch-state'),
  /** /readyz fails when the last successful poll is older than this many intervals. */
  ready_after_intervals: z.number().int().min(1).default(3),
  // prefault, not default: zod 4 returns a default as-is, so an absent source
  // section would skip its own defaults (mode, preset, rate_window) and checks.
  source: source.prefault({}),
  analysis: analysis.default({}),
  /** Rule files (relative to the config file). Default: the shipped alerts/default.yaml. */
  rule_files: z.array(z.string()).optional(),
  rules: z.array(ruleSchema).default([]),
  /** Inline inhibit rules, added to those of the rule files (docs/rules.md#inhibition). */
  inhibit_rules: z.array(inhibitRuleSchema).default([]),
  /** Alert lifecycle settings that are not per rule (docs/rules.md). */
  alerting: z
    .strictObject({
      /** Blind time (source failing, daemon down) after which a pending alert starts over (Prometheus --rules.alert.for-outage-tolerance). */
      for_outage_tolerance: positiveDuration.default(3_600_000),
      /** A pool missing this long, while the source works, has its alerts closed ("pool no longer reported"). */
      vanished_pool_grace: positiveDuration.default(15 * 60_000),
    })
    .prefault({}),
  sinks: z
    .strictObject({
      slack: slack.optional(),
      pagerduty: pagerduty.optional(),
      alertmanager: alertmanager.optional(),
      webhooks: z.array(webhook).default([]),
    })
    .default({ webhooks: [] }),
  delivery: z
    .strictObject({
      initial_backoff: positiveDuration.default(1000),
      max_backoff: positiveDuration.default(5 * 60_000),
      /** A notification not delivered within this time is given up (and counted). */
      max_age: positiveDuration.default(24 * 3_600_000),
    })
    .default({ initial_backoff: 1000, max_backoff: 300_000, max_age: 86_400_000 }),
  silences: z.array(silence).default([]),
  /** "i/n": this replica evaluates only the pools whose stable hash falls in shard i of n (see docs/scaling.md). */
  shard: z.string().refine((v) => parseShard(v) !== null, 'expected i/n with 0 <= i < n, e.g. 0/2').optional(),
  /** Per-backend self-metric series per pool: the top K by share plus every flagged backend (read at start). */
  metrics_backends_per_pool: z.number().int().min(0).default(5),
  /** Per-backend self-metric series across the fleet: flagged backends first, then the pools' top backends in rounds (read at start). */
  metrics_backends_max: z.number().int().min(0).default(10_000),
  declared: declared.prefault({}),
  remediate: remediate.prefault({}),
  links: z
    .strictObject({
      /** Base URL for graph links in messages (default: source.prometheus.url). */
      prometheus_url: httpUrl.optional(),
      runbook_url: httpUrl.optional(),
    })
    .default({}),
});

export type RawConfig = z.output<typeof configSchema>;
export type SourceConfig = RawConfig['source'];
export type SinksConfig = RawConfig['sinks'];
export type SilenceConfig = RawConfig['silences'][number];
export { duration };
