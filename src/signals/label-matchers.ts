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

/**
 * A comma-separated matcher list as source.matchers holds it
 * (`job="lb",instance=~"lb-.*"`, already escaped) as one predicate: every
 * matcher must pass, as inside a PromQL selector. Empty: everything passes.
 */
export function parseMatcherList(list: string): (labels: Readonly<Record<string, string>>) => boolean {
  const parts: string[] = [];
  let start = 0;
  let inString = false;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ',') {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  const preds = parts.filter((p) => p.trim() !== '').map(parseSimpleMatcher);
  return (labels) => preds.every((p) => p(labels));
}

/** Label names a matcher list mentions, e.g. ["job", "instance"]. */
export function matcherLabels(list: string): string[] {
  return [...list.matchAll(/(?:^|,)\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
}
