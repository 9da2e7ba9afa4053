import { createHash } from 'node:crypto';

/**
 * Lua scripts, each run atomically by Redis. Each one transcribes a pure function of `store-semantics.ts`, the
 * statement of what the operation decides (the memory driver runs those functions); the function is named in each
 * script's comment, and a change of rule goes there first. Every key a script touches carries the same `{userId}` hash
 * tag, so each script runs on one slot and works unchanged on Redis Cluster.
 */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

function script(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

// Reads the generation out of a user's state, tolerating a missing or foreign value (read as generation 0).
const READ_GENERATION = `
local function generation_of(raw)
  if not raw then return 0 end
  local ok, state = pcall(cjson.decode, raw)
  if ok and type(state) == 'table' and tonumber(state.gen) then return tonumber(state.gen) end
  return 0
end`;

/**
 * Compare-and-set write, the fix for the invalidate-during-recompute race. A recompute reads the user's generation
 * before it calls the model; a purchase bumps the generation while the model runs; this script then refuses the
 * now-outdated list instead of writing it back over the invalidation. It is the generation-number form of the
 * lease invalidation in "Scaling Memcache at Facebook" (NSDI 2013, section 3.2.1).
 *
 * The lease is kept after a successful write until it lapses: a replica that missed just before this write and
 * asks for the lease just after it is told "taken" and reads this list instead of computing it again. The lease
 * never lasts longer than the shortest fresh TTL (the recommendation service bounds it), so it always lapses before
 * the list it guarded can go stale, and never keeps that list's stale-while-revalidate refresh out. A refused write
 * gives its lease back at once, so the recompute after the purchase can start immediately.
 *
 * Mirrors `decideWrite`.
 * KEYS: state, entry, lease   ARGV: expected generation, encoded entry, ttl ms, lease token ('' = none)
 * Returns 1 when written, 0 when refused.
 */
export const COMPARE_AND_SET_ENTRY = script(`${READ_GENERATION}
if generation_of(redis.call('GET', KEYS[1])) ~= tonumber(ARGV[1]) then
  if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
  return 0
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`);

/**
 * A purchase, atomically: bump the generation (so in-flight recomputes cannot write back), remember the item for
 * serve-time filtering (most recent first, bounded), and delete the user's list and its lease (a lease taken before
 * the purchase guards a computation that will be refused; the next reader must be free to start a new one).
 *
 * Mirrors `stateAfterPurchase`.
 * KEYS: state, entry, lease   ARGV: item id, purchased-at ms, max remembered, state ttl ms
 * Returns 1 when a list was deleted, else 0.
 */
export const RECORD_PURCHASE = script(`${READ_GENERATION}
local raw = redis.call('GET', KEYS[1])
local bought = {}
if raw then
  local ok, state = pcall(cjson.decode, raw)
  if ok and type(state) == 'table' and type(state.bought) == 'table' then
    -- A retried purchase of the same item moves it to the front instead of listing it twice.
    for _, pair in ipairs(state.bought) do
      if type(pair) == 'table' and pair[1] ~= ARGV[1] then bought[#bought + 1] = pair end
    end
  end
end
table.insert(bought, 1, { ARGV[1], tonumber(ARGV[2]) })
-- Bounded at 0 as in stateAfterPurchase: a negative bound is never reached (the loop would block Redis forever) and
-- every comparison with NaN is false (every purchase kept); math.max(0, nan) is 0, as slice(0, NaN) keeps nothing.
local keep = math.max(0, tonumber(ARGV[3]))
while #bought > keep do table.remove(bought) end
local state = { gen = generation_of(raw) + 1, bought = bought }
redis.call('SET', KEYS[1], cjson.encode(state), 'PX', ARGV[4])
redis.call('DEL', KEYS[3])
return redis.call('DEL', KEYS[2])`);

/**
 * Releases a lease only if the caller still holds it: a lease that lapsed and was taken by another replica is not
 * theirs to delete. Mirrors `mayReleaseLease`. KEYS: lease   ARGV: token ('' = none).
 */
export const RELEASE_LEASE = script(`
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * Claims an order id for one checkout attempt: returns nil when claimed, else the record already stored (decoded by
 * the driver with `storedOrder`). Mirrors `claimOutcome`. KEYS: order   ARGV: encoded record, ttl ms.
 */
export const CLAIM_ORDER = script(`
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`);
