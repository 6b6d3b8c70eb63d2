// Small PromQL builders shared by the presets, so every selector gets the
// user's matchers the same way and every aggregation names the same labels.

import type { QueryContext } from './preset.js';

/** `metric{a="b",<ctx.matchers>}`; extra matchers first, the context's last. */
export function sel(metric: string, ctx: QueryContext, ...extra: string[]): string {
  const parts = extra.filter((m) => m !== '');
  if (ctx.matchers.trim() !== '') parts.push(ctx.matchers.trim());
  return parts.length === 0 ? metric : `${metric}{${parts.join(',')}}`;
}

/** `by (l1, l2, ...)`. */
export function by(labels: readonly string[]): string {
  return `by (${labels.join(', ')})`;
}

/** `sum by (<labels>) (rate(<selector>[<window>]))`. */
export function sumRate(labels: readonly string[], selector: string, ctx: QueryContext): string {
  return `sum ${by(labels)} (rate(${selector}[${ctx.window}]))`;
}

/** `<agg> by (<labels>) (<expr>)`. */
export function agg(op: 'sum' | 'max' | 'min', labels: readonly string[], expr: string): string {
  return `${op} ${by(labels)} (${expr})`;
}
