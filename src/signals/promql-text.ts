// Building PromQL from user input: label values are escaped, never pasted.
// Shared by the presets (their selectors) and the app (source.labels).

/** Escapes a value for a double-quoted PromQL string (backslash, quote, newline). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** { job: 'haproxy' } -> `job="haproxy"` (equality matchers, escaped). */
export function equalityMatchers(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
    .join(',');
}

/** Joins matcher lists, skipping empty ones. */
export function joinMatchers(...parts: string[]): string {
  return parts.map((p) => p.trim()).filter((p) => p !== '').join(',');
}
