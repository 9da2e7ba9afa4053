/**
 * Time as the read path sees it: what time it is, and waiting. Every wait of the read path (the lease poll) goes
 * through `sleep`, so a test with a fake clock drives it without real time passing.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
