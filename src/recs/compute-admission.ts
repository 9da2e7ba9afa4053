import { ModelUnavailableError } from '../errors.js';
import type { UserLoad } from './user-load.js';

export interface LoadOptions {
  /**
   * Called before the model computes lists for this batch's misses, one user at a time (`count` is 1); rejecting
   * (e.g. a client over its budget) fails that user and every miss after it with the rejection, while the misses
   * admitted before it are computed and hits and stale lists are still served.
   */
  readonly admitComputes?: (count: number) => Promise<void>;
}

/** The misses let through to the model, and how many of them hold a slot of the uncharged cap until they finish. */
export interface Admitted {
  readonly loads: readonly UserLoad[];
  readonly uncharged: number;
}

/**
 * Who pays for a compute. A user whose list expired is the client's doing and is charged to its budget
 * (`LoadOptions.admitComputes`); a user computed only because the store could not answer (or because this replica
 * holds a purchase for them that the store has not taken yet) is the store's doing and is not: an outage must not
 * turn into RATE_LIMITED. Those computes are capped per process instead (`maxUnchargedComputes`), and the model keeps
 * its own breaker. Users refused get their answer in `refusal`.
 */
export class ComputeAdmission {
  readonly #maxUncharged: number;
  /** Users being computed right now without being charged to a client. */
  #unchargedInFlight = 0;

  constructor(maxUncharged: number | undefined) {
    this.#maxUncharged = maxUncharged ?? Number.POSITIVE_INFINITY;
  }

  async admit(misses: readonly UserLoad[], storeFailed: boolean, options: LoadOptions): Promise<Admitted> {
    // Admitted one miss at a time: a batch larger than what is left of the budget (or than the whole budget) still
    // gets the users that fit, instead of being refused whole while its refusal uses up the budget.
    let refused: Error | undefined;
    const admitted: UserLoad[] = [];
    let uncharged = 0;
    for (const load of misses) {
      if (storeFailed || load.pending !== undefined) {
        if (this.#unchargedInFlight < this.#maxUncharged) {
          this.#unchargedInFlight += 1;
          uncharged += 1;
          admitted.push(load);
        } else load.refusal = new ModelUnavailableError(new Error('too many computes while the store is unavailable'));
        continue;
      }
      if (refused === undefined) {
        refused = await charge(options);
        if (refused === undefined) {
          admitted.push(load);
          continue;
        }
      }
      load.refusal = refused;
    }
    return { loads: admitted, uncharged };
  }

  /** Gives back the uncharged slots of an admitted batch, once its computes finished. */
  release(admitted: Admitted): void {
    this.#unchargedInFlight -= admitted.uncharged;
  }
}

async function charge(options: LoadOptions): Promise<Error | undefined> {
  if (options.admitComputes === undefined) return undefined;
  try {
    await options.admitComputes(1);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
