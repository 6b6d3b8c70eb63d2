// PromQL-style label matchers evaluated on samples, so scrape mode selects
// series as query mode's selectors do.

/**
 * Turn `label="value"`, `label!="value"`, `label=~"re"` or `label!~"re"` into
 * a predicate (anchored like PromQL), for scrape mode.
 */
export function parseSimpleMatcher(matcher: string): (labels: Readonly<Record<string, string>>) => boolean {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(matcher);
  if (m === null) throw new RangeError(`unsupported matcher ${JSON.stringify(matcher)}: expected label="value", !=, =~ or !~`);
  const [, label, op, raw] = m as unknown as [string, string, string, string];
  const value = raw.replace(/\\(.)/g, '$1');
  if (op === '=') return (l) => (l[label] ?? '') === value;
  if (op === '!=') return (l) => (l[label] ?? '') !== value;
  const re = new RegExp(`^(?:${value})$`);
  if (op === '=~') return (l) => re.test(l[label] ?? '');
  return (l) => !re.test(l[label] ?? '');
}
