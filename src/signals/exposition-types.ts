// Plain data the exposition parser yields: the families and samples that
// sources parse and presets read. In src/signals so that both import it from
// here and neither imports the other.

/** Metric family type. `untyped` (0.0.4) and `unknown` (OpenMetrics) mean "no TYPE line". */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'untyped'
  | 'unknown';

export interface ExpositionSample {
  /** Full sample name as written, e.g. `haproxy_server_http_responses_total`, `foo_bucket`. */
  readonly name: string;
  /** Label values, unescaped. Own properties only (a `__proto__` label is a plain key). */
  readonly labels: Readonly<Record<string, string>>;
  /** May be NaN or ±Infinity. */
  readonly value: number;
  /** Sample timestamp in epoch milliseconds when the line carried one. */
  readonly timestampMs?: number;
}

export interface Family {
  /**
   * Family name: the TYPE/HELP name when declared (OpenMetrics counter `foo` for
   * sample `foo_total`), otherwise the sample name.
   */
  readonly name: string;
  readonly type: MetricType;
  readonly help?: string;
  readonly unit?: string;
  readonly samples: readonly ExpositionSample[];
}

export type ExpositionFormat = 'prometheus' | 'openmetrics';
