// include_pools / exclude_pools: one rule for query mode (the assembler) and
// scrape mode (the scrape source), anchored like PromQL regexes.

/** A predicate over pool ids: in `include` (when given) and not in `exclude`. */
export function poolSelector(include?: string, exclude?: string): (id: string) => boolean {
  const inc = include ? new RegExp(`^(?:${include})$`) : undefined;
  const exc = exclude ? new RegExp(`^(?:${exclude})$`) : undefined;
  return (id) => (inc === undefined || inc.test(id)) && !(exc?.test(id) ?? false);
}
