import { parseSamples } from '../../scripts/report/exposition.js';
import type { Sample } from '../../scripts/report/exposition.js';

export { declaredFamilies, parseSamples, sumOf } from '../../scripts/report/exposition.js';
export type { Sample } from '../../scripts/report/exposition.js';

/** GET /metrics over HTTP, parsed. */
export async function scrape(origin: string): Promise<Sample[]> {
  const response = await fetch(`${origin}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return parseSamples(await response.text());
}
