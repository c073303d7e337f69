/** An element id from an API path: `rules[0].serve` → `rules-0-serve`, so errors and inputs can point at each other. */
export function domId(path: string): string {
  return path.replace(/[^\w]+/g, '-').replace(/^-+|-+$/g, '');
}
