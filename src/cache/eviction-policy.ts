import type { RedisConnection } from './redis-connection.js';

/**
 * Whether Redis may evict the keys the gateway's correctness rests on. Order records (idempotent purchases) and user
 * states (generations, recent purchases) all carry a TTL, so every eviction policy except `noeviction` can drop them
 * once `maxmemory` is reached, `volatile-*` included: a retried order then reads as new (`duplicate: false`), and a
 * bought item can come back. Lists are only a cache, but they share the same memory.
 *
 * With `maxmemory 0` (no limit, Redis's default) nothing is ever evicted, whatever the policy says.
 */
export type EvictionCheck =
  | { readonly verdict: 'safe'; readonly policy: string; readonly maxmemory: number }
  | { readonly verdict: 'unsafe'; readonly policy: string; readonly maxmemory: number }
  | { readonly verdict: 'unknown'; readonly reason: string };

export const SAFE_POLICY = 'noeviction';

/** Pure: the verdict on one server's settings. */
export function judgeEvictionPolicy(policy: string, maxmemory: number): 'safe' | 'unsafe' {
  return policy === SAFE_POLICY || maxmemory === 0 ? 'safe' : 'unsafe';
}

/** What to tell the operator about a check's result; undefined when there is nothing to say. */
export function evictionAdvice(check: EvictionCheck): string | undefined {
  if (check.verdict === 'safe') return undefined;
  if (check.verdict === 'unknown') {
    return `could not read Redis's maxmemory-policy (${check.reason}); make sure it is ${SAFE_POLICY} (or maxmemory 0), or order records and user states may be evicted and retried orders recorded twice`;
  }
  return `Redis has maxmemory-policy ${check.policy} with maxmemory ${check.maxmemory}: it may evict order records and user states (every key the gateway writes has a TTL, so volatile-* policies evict them too), and a retried order would then be recorded twice. Set maxmemory-policy ${SAFE_POLICY} (CONFIG SET maxmemory-policy ${SAFE_POLICY}, and in redis.conf), or run without a maxmemory limit`;
}

/**
 * Reads `maxmemory-policy` and `maxmemory` with CONFIG GET from the Redis (or every master of a cluster) behind the
 * connection, which the caller has connected (or is connecting); the worst answer wins. CONFIG may be refused (managed services rename or forbid it, ACLs), and Redis
 * may be down at start-up: both are `unknown`, never a crash.
 */
export async function checkEvictionPolicy(connection: RedisConnection, timeoutMs: number): Promise<EvictionCheck> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<EvictionCheck>((resolve) => {
    timer = setTimeout(() => resolve({ verdict: 'unknown', reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  const reading = readAll(connection);
  // Lost the race to the deadline, it may still fail later: that must not become an unhandled rejection.
  reading.catch(() => {});
  try {
    return await Promise.race([reading, deadline]);
  } catch (error) {
    return { verdict: 'unknown', reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

type Send = (args: string[]) => Promise<unknown>;

async function readAll(connection: RedisConnection): Promise<EvictionCheck> {
  // The caller connects (in the background, retrying): a Redis down at start-up answers nothing here.
  if (!connection.client.isOpen) return { verdict: 'unknown', reason: 'not connected' };
  let senders: Send[];
  if (connection.kind === 'redis') {
    const client = connection.client;
    senders = [async (args) => client.sendCommand(args)];
  } else {
    const cluster = connection.client;
    senders = await Promise.all(
      cluster.masters.map(async (master) => {
        const node = await cluster.nodeClient(master);
        return async (args: string[]) => node.sendCommand(args);
      }),
    );
  }
  let worst: EvictionCheck | undefined;
  for (const send of senders) {
    const check = await readOne(send);
    if (worst === undefined || rank(check) > rank(worst)) worst = check;
  }
  return worst ?? { verdict: 'unknown', reason: 'no Redis node to ask' };
}

async function readOne(send: Send): Promise<EvictionCheck> {
  const policy = configValue(await send(['CONFIG', 'GET', 'maxmemory-policy']), 'maxmemory-policy');
  const maxmemory = Number(configValue(await send(['CONFIG', 'GET', 'maxmemory']), 'maxmemory'));
  if (policy === undefined || !Number.isFinite(maxmemory))
    return { verdict: 'unknown', reason: 'CONFIG GET gave no value' };
  return { verdict: judgeEvictionPolicy(policy, maxmemory), policy, maxmemory };
}

/** CONFIG GET answers `[name, value]` (RESP2) or `{ name: value }` (RESP3). */
function configValue(reply: unknown, name: string): string | undefined {
  if (Array.isArray(reply)) {
    const index = reply.findIndex((entry) => String(entry) === name);
    return index === -1 ? undefined : String(reply[index + 1]);
  }
  if (typeof reply === 'object' && reply !== null && name in reply)
    return String((reply as Record<string, unknown>)[name]);
  return undefined;
}

function rank(check: EvictionCheck): number {
  return check.verdict === 'unsafe' ? 2 : check.verdict === 'unknown' ? 1 : 0;
}
