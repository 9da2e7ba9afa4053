/**
 * The simulated population of the freshness-cost frontier: who reads when, who buys what, and what the model
 * answers at each of those moments. Built once and shared by every policy, so each point of the frontier replays
 * exactly the same reads against exactly the same model answers (a paired comparison).
 *
 * The model is the real built-in scorer with its real drift (`src/model/drift.ts`), evaluated at each read's time
 * on an accelerated clock: simulated hours take seconds because nothing waits. A compute happens only at a read
 * (a miss, or the background refresh a stale read starts), so one ranking per read is all any policy can ask for.
 */
import { deriveVersionWeights, rankForUser } from '../../src/model/builtin-model.js';
import { createCatalog } from '../../src/model/catalog.js';
import { createRandom } from '../../src/model/prng.js';
import type { Random } from '../../src/model/prng.js';

export interface PopulationOptions {
  readonly users: number;
  readonly hours: number;
  readonly catalogSize: number;
  /** Median reads per user-hour; activity is log-normal around it (a few users read far more). */
  readonly medianReadsPerHour: number;
  /** Spread of log activity: 1.3 puts the top 1% of users at ~20x the median. */
  readonly activitySigma: number;
  /** Chance that a read ends in buying the top item. */
  readonly purchaseChance: number;
  readonly depth: number;
  readonly seed: string;
}

/** One read: when, the model's top `depth` ids at that moment, and whether the user bought the top item after it. */
export interface Read {
  readonly atMs: number;
  readonly ids: readonly string[];
  readonly bought: boolean;
}

export interface SimUser {
  readonly userId: string;
  readonly reads: readonly Read[];
}

export const HOUR_MS = 3_600_000;
/** A fixed start (a Monday 06:00 UTC), so the daily popularity trend is at the same phase in every run. */
export const START_MS = Date.UTC(2026, 10, 23, 6, 0, 0);

export function buildPopulation(options: PopulationOptions, progress: (done: number) => void = () => {}): SimUser[] {
  const catalog = createCatalog({ size: options.catalogSize });
  const weights = deriveVersionWeights(catalog, 'v1');
  const random = createRandom(`${options.seed}:population`);
  const ids = Array.from({ length: catalog.size }, (_, index) => catalog.itemAt(index).id);
  const users: SimUser[] = [];
  for (let index = 0; index < options.users; index++) {
    const userId = `sim-${index}`;
    const rate = Math.min(60, options.medianReadsPerHour * Math.exp(options.activitySigma * random.gaussian()));
    const purchased: number[] = [];
    const reads: Read[] = [];
    for (
      let at = START_MS + exponential(random, rate);
      at < START_MS + options.hours * HOUR_MS;
      at += exponential(random, rate)
    ) {
      const ranked = rankForUser({ userId, weights, purchasedIndices: purchased, limit: options.depth, atMs: at });
      const bought = random.next() < options.purchaseChance && ranked.itemIndices.length > 0;
      reads.push({ atMs: at, ids: Array.from(ranked.itemIndices, (item) => ids[item] as string), bought });
      if (bought) purchased.push(ranked.itemIndices[0] as number);
    }
    users.push({ userId, reads });
    if ((index + 1) % 1_000 === 0) progress(index + 1);
  }
  return users;
}

/** Exponential gap (ms) of a Poisson process with `perHour` events an hour. */
function exponential(random: Random, perHour: number): number {
  return (-Math.log(1 - random.next()) / perHour) * HOUR_MS;
}
