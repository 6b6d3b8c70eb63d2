// source.preset_options: what each preset can be told, one strict schema per
// preset, checked against the preset the config names (so `flavour: vts`
// under preset haproxy is an error at its own key, not silently ignored).
import { z } from 'zod';
import { labelName, regex } from './fields.js';

/** A group name: becomes a label value and part of the pool id, so no '/'. */
const labelValueName = () => z.string().regex(/^[^/]+$/);

const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'expected a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)');

/** One `label="value"`, `!=`, `=~` or `!~` matcher (what scrape mode can evaluate too). */
const singleMatcher = z
  .string()
  .regex(/^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*$/, 'expected one matcher: label="value", label!="value", label=~"re" or label!~"re"');

export const PRESET_OPTION_SCHEMAS = {
  haproxy: z.strictObject({
    /** Backup servers as <proxy>/<server>, for HAProxy before 3.0 (no haproxy_server_backup). */
    backup_servers: z.array(z.string().regex(/^[^/]+\/.+$/, 'expected <proxy>/<server>, e.g. be_app/bk1')).optional(),
  }),
  envoy: z.strictObject({}),
  nginx: z.strictObject({
    /** plus: NGINX Plus via nginx-prometheus-exporter (default); vts: nginx-module-vts. */
    flavour: z.enum(['plus', 'vts']).optional(),
  }),
  traefik: z.strictObject({
    /** Pool name in scrape mode (Traefik's exposition carries no job label). Default "traefik". */
    job: z.string().min(1).optional(),
    /** One pool per group of services: group name -> regex over the service label. */
    groups: z.record(labelValueName(), regex).optional(),
  }),
  kubernetes: z.strictObject({
    /** Label naming the workload a pod belongs to (the pool). Default "service". */
    workload_label: labelName.optional(),
    /** The application's request counter. Default http_requests_total. */
    request_metric: metricName.optional(),
    /** Matcher selecting the counter's 5xx samples. Default code=~"5..". */
    error_matcher: singleMatcher.optional(),
  }),
  // The custom preset is configured by pool_labels, backend_label and queries.
  custom: z.strictObject({}),
} as const;

export type PresetOptionsConfig = {
  [K in keyof typeof PRESET_OPTION_SCHEMAS]: z.output<(typeof PRESET_OPTION_SCHEMAS)[K]>;
};

/** The raw key: any object; checked per preset by checkPresetOptions. */
export const presetOptions = z.record(z.string(), z.unknown());

/**
 * Issues of `options` against `preset`'s schema, paths relative to
 * preset_options. Unknown keys come one per key, as elsewhere in the config.
 */
export function presetOptionIssues(preset: keyof typeof PRESET_OPTION_SCHEMAS, options: unknown): Array<{ path: PropertyKey[]; message: string }> {
  const r = PRESET_OPTION_SCHEMAS[preset].safeParse(options);
  if (r.success) return [];
  return r.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(PRESET_OPTION_SCHEMAS[preset].shape);
      const hint = known.length === 0 ? `preset ${preset} takes no options` : `preset ${preset} takes ${known.join(', ')}`;
      return issue.keys.map((key) => ({ path: [...issue.path, key], message: `unknown key ${JSON.stringify(key)} (${hint})` }));
    }
    return [{ path: [...issue.path], message: issue.message }];
  });
}
