import { createClient, createCluster } from '@keyv/redis';
import type { RedisClientType, RedisClusterType } from '@keyv/redis';
import { BasicClientSideCache, BasicPooledClientSideCache } from '@redis/client';
import { StoreUnavailableError } from '../errors.js';
import { currentStoreDeadline } from './store-deadline.js';

const RECONNECT_CAP_MS = 250;

/** A node-redis client for one Redis or a Redis Cluster, as the drivers in this folder use it. */
export type RedisConnection =
  | { readonly kind: 'redis'; readonly client: RedisClientType }
  | { readonly kind: 'redis-cluster'; readonly client: RedisClusterType };

export interface RedisConnectionOptions {
  /** One URL for a single Redis; several seed nodes for a Redis Cluster. */
  readonly url?: string | undefined;
  readonly clusterUrls?: readonly string[];
  /** Bound on connecting and on any one operation. */
  readonly timeoutMs: number;
  /** Called with every connection error; without a listener an outage would surface as an uncaught error. */
  readonly onError: (error: Error) => void;
  /** Called each time the client is connected and ready again (e.g. after Redis came back). */
  readonly onReady?: () => void;
  /** Keep the values read in process, invalidated by Redis itself (see `NearCacheSettings`); absent, none is kept. */
  readonly nearCache?: NearCacheSettings | undefined;
}

/**
 * Redis server-assisted client-side caching (RESP3 `CLIENT TRACKING`, node-redis' `clientSideCache`): values this
 * connection read are kept in process, and Redis pushes an invalidation on this same connection as soon as any client
 * changes or deletes one of those keys (or it expires). A lost connection drops them all.
 *
 * Why: a hit's read was the one thing a Redis-backed replica did that an embedded one did not (a round trip, its
 * command encoding, the kernel's loopback send, reply parsing); with it, a hot user's hit costs what the in-memory
 * store's does. `ttlMs` bounds how long a value is kept even when no invalidation comes: the one case where Redis
 * cannot reach this process while the connection still looks open (a silent network partition).
 */
export interface NearCacheSettings {
  /** How long a value read is kept at most, invalidation or not. */
  readonly ttlMs: number;
  /** How many keys are kept at most (least recently used go first). */
  readonly maxKeys: number;
}

/**
 * Opens (lazily) a client whose failure behaviour cannot hold a request hostage: no offline queue (commands fail at
 * once while disconnected instead of queueing forever), a connect timeout, and reconnection with a capped backoff,
 * forever, so the driver recovers by itself when Redis does.
 */
export function openRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const socket = {
    connectTimeout: options.timeoutMs,
    // Capped low on purpose: after an outage the gateway must see Redis again within a fraction of a second, to
    // apply the purchases it holds before anyone is served an old list (a refused connect to a dead host is cheap).
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, RECONNECT_CAP_MS),
  };
  const clusterUrls = options.clusterUrls ?? [];
  let connection: RedisConnection;
  if (clusterUrls.length > 0) {
    const client = createCluster({
      rootNodes: clusterUrls.map((url) => ({ url })),
      defaults: { disableOfflineQueue: true, socket },
      ...nearCacheOptions(options.nearCache, true),
    }) as unknown as RedisClusterType;
    connection = { kind: 'redis-cluster', client };
  } else {
    if (options.url === undefined) throw new TypeError('a Redis connection needs a url or clusterUrls');
    const client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket,
      ...nearCacheOptions(options.nearCache),
    }) as unknown as RedisClientType;
    connection = { kind: 'redis', client };
  }
  connection.client.on('error', options.onError);
  if (options.onReady !== undefined) connection.client.on('ready', options.onReady);
  return connection;
}

/** Client-side caching needs RESP3: its invalidations arrive as push messages on the connection that read. */
function nearCacheOptions(
  settings: NearCacheSettings | undefined,
  pooled = false,
): { RESP?: 3; clientSideCache?: BasicClientSideCache } {
  if (settings === undefined) return {};
  const config = { ttl: settings.ttlMs, maxEntries: settings.maxKeys, evictPolicy: 'LRU' } as const;
  return { RESP: 3, clientSideCache: pooled ? new PooledNearCache(config) : new NearCache(config) };
}

type CacheSetArgs = Parameters<BasicClientSideCache['set']>;
type InvalidatedKey = Parameters<BasicClientSideCache['invalidate']>[0];

/**
 * node-redis empties its map for an invalidate-all push (FLUSHALL, FLUSHDB) without marking what it held as
 * invalidated. A GET whose reply was parsed in the same socket event as the push, still on its way to being kept,
 * would then be kept: a value Redis no longer holds, and no longer tracks for this connection, so no later push
 * removes it. Each entry is marked first, as a single key's invalidation does.
 */
function invalidateAll(cache: BasicClientSideCache): void {
  for (const [, entry] of cache.entryEntries()) entry.invalidate();
}

/**
 * node-redis lets the least recently used reply go past `maxEntries` but keeps its key in the index an invalidation
 * looks up (Redis key to kept replies); only an invalidation of that key or a clear empties it. Users read once and
 * never changed would each leave one behind, up to Redis' whole tracking table, far past `maxKeys`: a reply let go
 * here takes its keys out of that index too (which also drops any other reply kept for them: one more read at worst).
 */
class KeysOfEntries {
  readonly #keys = new WeakMap<object, CacheSetArgs[2]>();

  remember([, entry, keys]: CacheSetArgs): void {
    this.#keys.set(entry, keys);
  }

  deleteOldest(cache: BasicClientSideCache, deleteOldest: () => void): void {
    const oldest = cache.entryEntries().next();
    deleteOldest();
    if (oldest.done === true) return;
    for (const key of this.#keys.get(oldest.value[1]) ?? []) cache.invalidate(key);
  }
}

class NearCache extends BasicClientSideCache {
  readonly #keysOf = new KeysOfEntries();

  override set(...args: CacheSetArgs): void {
    super.set(...args);
    this.#keysOf.remember(args);
  }

  override invalidate(key: InvalidatedKey): void {
    if (key === null) invalidateAll(this);
    super.invalidate(key);
  }

  override deleteOldest(): void {
    this.#keysOf.deleteOldest(this, () => super.deleteOldest());
  }
}

/** The same for a cluster, which shares one cache among its node clients and only takes a pooled one as such. */
class PooledNearCache extends BasicPooledClientSideCache {
  readonly #keysOf = new KeysOfEntries();

  override set(...args: CacheSetArgs): void {
    super.set(...args);
    this.#keysOf.remember(args);
  }

  override invalidate(key: InvalidatedKey): void {
    if (key === null) invalidateAll(this);
    super.invalidate(key);
  }

  override deleteOldest(): void {
    this.#keysOf.deleteOldest(this, () => super.deleteOldest());
  }
}

/** Sends one raw command; on a cluster it is routed by `firstKey` (the slot every key of the command shares). */
export async function sendRedisCommand(
  connection: RedisConnection,
  firstKey: string | undefined,
  args: string[],
  readonly = false,
): Promise<unknown> {
  if (connection.kind === 'redis') return connection.client.sendCommand(args);
  return connection.client.sendCommand(firstKey, readonly, args);
}

/** Closes gracefully (pending replies arrive first), or destroys the client when that fails. */
export async function closeRedisConnection(connection: RedisConnection): Promise<void> {
  const client = connection.client;
  if (!client.isOpen) return;
  try {
    await client.close();
  } catch {
    client.destroy();
  }
}

/**
 * Runs operations on a connection under a time bound, connecting first when needed. Every failure, the bound
 * included, becomes a StoreUnavailableError, which callers turn into a documented degradation.
 */
export class BoundedRedis {
  #connecting: Promise<void> | undefined;
  #connectStartedAt = 0;

  constructor(
    private readonly connection: RedisConnection,
    private readonly timeoutMs: number,
  ) {}

  async run<T>(operation: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    // A request budget with less time left than the bound shortens it: what the request gave up on, this gives up on.
    const budgetEndsAt = currentStoreDeadline();
    const boundMs =
      budgetEndsAt === undefined
        ? this.timeoutMs
        : Math.max(0, Math.min(this.timeoutMs, budgetEndsAt - performance.now()));
    const deadline = new Promise<never>((_, reject) => {
      // Timers run before I/O in each turn of the event loop: after the loop was busy for longer than the bound, a
      // reply that has already arrived would lose the race to its own timeout. setImmediate lets pending I/O in
      // first, so only a Redis that really did not answer times out, not one that answered while we were busy.
      timer = setTimeout(
        () =>
          setImmediate(() => {
            expired = true;
            reject(new Error(`timed out after ${Math.round(boundMs)} ms`));
          }),
        boundMs,
      );
    });
    try {
      return await Promise.race([
        (async () => {
          await this.#ensureConnected();
          // A caller that already gave up must not have its command replayed when Redis comes back.
          if (expired) throw new Error('timed out while connecting');
          return run();
        })(),
        deadline,
      ]);
    } catch (error) {
      throw new StoreUnavailableError(operation, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async #ensureConnected(): Promise<void> {
    // A connect in progress first: the client reports `isOpen` as soon as connect() starts, before the socket (or,
    // on a cluster, the slot map) is ready, so concurrent first calls must wait for the same connect. But a connect
    // that has been pending longer than the bound means Redis is down: fail at once instead of making every
    // request wait out its full timeout (commands fail at once too, once a connected client loses Redis).
    if (this.#connecting !== undefined) {
      if (Date.now() - this.#connectStartedAt > this.timeoutMs)
        throw new Error('redis is unreachable (still connecting)');
      return this.#connecting;
    }
    if (this.connection.client.isOpen) return;
    this.#connectStartedAt = Date.now();
    this.#connecting = (async () => {
      try {
        await this.connection.client.connect();
      } finally {
        this.#connecting = undefined;
      }
    })();
    await this.#connecting;
  }
}
