/**
 * Seeded pseudo-random numbers for the synthetic catalogue and the built-in model.
 *
 * Everything the built-in model produces must be reproducible from strings (a catalogue seed, a model version,
 * a user id), so `Math.random` is never used: the same string always yields the same sequence.
 */

/** A deterministic stream of numbers derived from one seed. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Standard normal (mean 0, variance 1). */
  gaussian(): number;
  pick<T>(choices: readonly T[]): T;
}

/**
 * 32-bit string hash (FNV-1a followed by a murmur3 finaliser). FNV alone leaves similar strings ("u1", "u2")
 * with similar low bits, which would give neighbouring user ids correlated random streams.
 */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** mulberry32: tiny, fast and good enough for synthetic data (not for anything security related). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createRandom(seed: string): Random {
  const next = mulberry32(hashString(seed));
  return {
    next,
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
    gaussian: () => {
      // Box-Muller; 1 - next() keeps the logarithm's argument in (0, 1].
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      return radius * Math.cos(2 * Math.PI * next());
    },
    pick: (choices) => {
      const choice = choices[Math.floor(next() * choices.length)];
      if (choice === undefined) throw new RangeError('pick() needs at least one choice');
      return choice;
    },
  };
}
