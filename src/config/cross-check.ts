// Checks that need more than one section: what each mode requires, that
// rules name sinks that exist, that ids are unique.
import type { RawConfig } from './schema.js';
import type { RuleConfig } from './rules.js';
import type { ConfigIssue } from './errors.js';
import { cronProblem } from './cron.js';

/** Where a rule was written: its path in its file (e.g. "rules[0]") and the file (with line) of one of its keys. */
export interface RuleOrigin {
  readonly path: string;
  readonly where: (key: string) => string;
}

/**
 * `where` turns a key path into the file (with line) or env var it came from;
 * `origins[i]` says where rules[i] was written (rule files first, then inline).
 */
export function crossCheck(
  config: RawConfig,
  rules: readonly RuleConfig[],
  where: (path: string) => string,
  issues: ConfigIssue[],
  warnings: string[],
  origins: readonly RuleOrigin[] = [],
): void {
  const add = (path: string, message: string, file = where(path)) => issues.push({ file, path, message });
  const { source, sinks } = config;

  if (source.mode === 'prometheus' && !source.prometheus) {
    add('source.prometheus.url', 'required in prometheus mode (or set SKEWWATCH_PROMETHEUS_URL, or use source.mode: scrape)');
  }
  if (source.mode === 'scrape' && !source.scrape) {
    add('source.scrape.targets', 'required in scrape mode (or set SKEWWATCH_SCRAPE_URLS)');
  }
  if (source.preset === 'custom') {
    if (!source.queries?.rate) add('source.queries.rate', 'required with preset custom: PromQL for requests per second by pool and backend');
    if (!source.pool_labels) add('source.pool_labels', 'required with preset custom: the label names that identify a pool');
    if (!source.backend_label) add('source.backend_label', 'required with preset custom: the label name that identifies a backend');
    if (source.mode === 'scrape') add('source.preset', 'preset custom works in prometheus mode only (scrape mode needs a balancer preset)');
  }
  if (source.scrape) {
    source.scrape.targets.forEach((t, i) => {
      if (t.role === 'cpu' && Object.keys(t.labels).length === 0) {
        add(`source.scrape.targets[${i}].labels`, 'a cpu target needs labels naming its pool and backend, e.g. { proxy: be_app, server: s1 }');
      }
    });
  }
  // Without CPU a wrong weight looks intended: the balancer does exactly what
  // its (wrong) configuration says. Say so instead of silently missing it.
  const hasCpu = source.mode === 'scrape'
    ? (source.scrape?.targets ?? []).some((t) => t.role === 'cpu')
    : Boolean(source.queries?.cpu);
  if (!hasCpu && source.preset !== 'kubernetes') {
    warnings.push(source.mode === 'scrape'
      ? 'no cpu scrape targets: skew against the configured weights is detected, but a wrong weight is not (add role: cpu targets)'
      : 'no CPU query (source.queries.cpu or SKEWWATCH_CPU_QUERY): skew against the configured weights is detected, but a wrong weight is not');
  }
  if (config.schedule !== undefined) {
    const problem = cronProblem(config.schedule);
    if (problem) add('schedule', `expected a cron expression with seconds, e.g. "*/15 * * * * *": ${problem}`);
  }
  // Below one interval, a single late cycle would throw away every pending alert.
  if (config.alerting.for_outage_tolerance < config.interval) {
    add('alerting.for_outage_tolerance', `must be at least interval (${config.interval} ms): shorter, one late cycle would restart every pending alert`);
  }
  if (config.evaluation_timeout !== undefined && config.evaluation_timeout > config.interval) {
    add('evaluation_timeout', `must not exceed interval (${config.interval} ms)`);
  }

  const exactlyOne = (path: string, a: unknown, b: unknown, name: string) => {
    if (a === undefined && b === undefined) add(path, `required: set ${name} (via \${ENV}) or ${name}_file`);
  };
  if (sinks.slack) exactlyOne('sinks.slack.webhook_url', sinks.slack.webhook_url, sinks.slack.webhook_url_file, 'webhook_url');
  if (sinks.pagerduty) {
    exactlyOne('sinks.pagerduty.routing_key', sinks.pagerduty.routing_key, sinks.pagerduty.routing_key_file, 'routing_key');
    const key = sinks.pagerduty.routing_key;
    // PagerDuty integration keys are 32 characters; say so without echoing the key.
    if (key !== undefined && key.length !== 32) add('sinks.pagerduty.routing_key', `expected a 32-character integration key (got ${key.length} characters)`);
  }
  if (sinks.alertmanager && sinks.alertmanager.resend_interval >= sinks.alertmanager.resolve_timeout) {
    add('sinks.alertmanager.resend_interval', 'must be shorter than resolve_timeout, or Alertmanager expires firing alerts between re-sends');
  }
  const webhookNames = new Set<string>();
  sinks.webhooks.forEach((w, i) => {
    if (webhookNames.has(w.name)) add(`sinks.webhooks[${i}].name`, `duplicate webhook name ${JSON.stringify(w.name)}`);
    webhookNames.add(w.name);
    exactlyOne(`sinks.webhooks[${i}].url`, w.url, w.url_file, 'url');
  });

  const ids = new Set<string>();
  rules.forEach((rule, i) => {
    const origin = origins[i] ?? { path: `rules[${i}]`, where: (key: string) => where(`rules[${i}].${key}`) };
    const addRule = (key: string, message: string) => add(`${origin.path} (${rule.id}).${key}`, message, origin.where(key));
    if (ids.has(rule.id)) addRule('id', `duplicate rule id ${JSON.stringify(rule.id)}`);
    ids.add(rule.id);
    const refs = [...rule.sinks, ...rule.overrides.flatMap((o) => o.sinks ?? [])];
    for (const ref of refs) {
      if (ref.startsWith('webhook:')) {
        if (!webhookNames.has(ref.slice('webhook:'.length))) addRule('sinks', `names ${ref} but sinks.webhooks has no webhook of that name`);
      } else if (!sinks[ref as 'slack' | 'pagerduty' | 'alertmanager']) {
        warnings.push(`rule ${rule.id} sends to ${ref}, which is not configured: those notifications are skipped`);
      }
    }
    if (rule.when.stat === 'blind_cycles' && Object.keys(rule.match).length > 0) {
      addRule('match', 'blind_cycles is a source-level statistic: pool matchers do not apply');
    }
  });
  config.silences.forEach((s, i) => {
    if (s.starts_at && Date.parse(s.starts_at) >= Date.parse(s.ends_at)) add(`silences[${i}].ends_at`, 'must be after starts_at');
  });
}
