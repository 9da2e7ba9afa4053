/**
 * `npm run bench -- faults`: what a store fault costs, end to end. Two gateway processes (replicas, each with its own
 * built-in model) share one redis-server with its AOF on. For each fault, while reads arrive at a fixed rate on both
 * replicas, purchases of users' top items are sent to them during the fault, and after Redis answers again both
 * replicas are watched for the bought items:
 *
 *   fault                      how it is made                         how it ends
 *   killed, AOF restart        SIGKILL                                 restart on the same port and dir (AOF replayed)
 *   frozen                     SIGSTOP                                 SIGCONT
 *   paused                     CLIENT PAUSE <ms> ALL                   the pause lapses
 *
 * Columns: purchases answered applied / answered STORE_UNAVAILABLE; reads that served a bought item after Redis
 * answered again, in all and later than 1 s (the target: none), and the last one; failed reads; read p50/p99 during
 * the fault; time to recover (from Redis answering until both replicas' breakers are closed and no purchase is held).
 *
 *   FAULTS_SECONDS (3) how long each fault lasts · FAULTS_RATE (100 reads/s over both replicas) · FAULTS_PURCHASES (10)
 *   REDIS_TIMEOUT_MS (1000, the gateway's default)
 */
import { loadavg } from 'node:os';
import { startRedis, redisCli } from '../src/dev/redis-server.js';
import type { RedisProcess } from '../src/dev/redis-server.js';
import { postGraphQL, startGatewayProcess } from '../src/dev/gateway-process.js';
import type { GatewayProcess } from '../src/dev/gateway-process.js';
import { parseSamples, sumOf } from '../scripts/report/exposition.js';
import { percentileOfSorted } from './stats.js';
import { log } from './log.js';

const FAULT_MS = 1000 * Number(process.env.FAULTS_SECONDS ?? 3);
const RATE = Number(process.env.FAULTS_RATE ?? 100);
const PURCHASES = Number(process.env.FAULTS_PURCHASES ?? 10);
const REDIS_TIMEOUT_MS = Number(process.env.REDIS_TIMEOUT_MS ?? 1000);
const USERS = 100;
const WATCH_MS = 3_000;
const LATE_MS = 1_000;

const READ = 'query ($u: ID!) { recommendations(userId: $u, first: 20) { source items { item { id } } } }';
const BUY = 'mutation ($input: RecordPurchaseInput!) { recordPurchase(input: $input) { invalidated duplicate } }';

interface Fault {
  readonly name: string;
  /** Starts the fault; resolves with the function that ends it (resolving once Redis answers again). */
  start(redis: RedisProcess): Promise<() => Promise<void>>;
}

const FAULTS: readonly Fault[] = [
  {
    name: 'killed, AOF restart',
    async start(redis) {
      await redis.kill();
      return async () => redis.restart();
    },
  },
  {
    name: 'frozen (SIGSTOP)',
    async start(redis) {
      process.kill(redis.pid, 'SIGSTOP');
      return async () => {
        process.kill(redis.pid, 'SIGCONT');
      };
    },
  },
  {
    name: 'paused (CLIENT PAUSE)',
    async start(redis) {
      const until = performance.now() + FAULT_MS;
      await redisCli(redis.port, 'CLIENT', 'PAUSE', String(FAULT_MS), 'ALL');
      return async () => {
        await sleep(until - performance.now());
      };
    },
  },
];

interface Row {
  readonly fault: string;
  readonly applied: number;
  readonly retryable: number;
  readonly otherPurchaseErrors: number;
  readonly servedAfter: number;
  readonly servedLate: number;
  readonly lastServedMs: number | undefined;
  readonly failedReads: number;
  readonly reads: number;
  readonly p50: number;
  readonly p99: number;
  readonly recoverMs: number | undefined;
}

interface Read {
  readonly startedAt: number;
  readonly ms: number;
  readonly ok: boolean;
  readonly items: readonly string[];
  readonly userId: string;
}

export async function faultsBench(): Promise<void> {
  log(
    `faults: ${FAULTS.length} faults of ${FAULT_MS / 1000} s, ${RATE} reads/s over 2 replicas, ${PURCHASES} purchases each, REDIS_TIMEOUT_MS ${REDIS_TIMEOUT_MS}`,
  );
  const redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  const gateways: GatewayProcess[] = [];
  try {
    const env = { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS), LOG_LEVEL: 'error' };
    gateways.push(...(await Promise.all([0, 1].map(() => startGatewayProcess(env)))));
    const rows: Row[] = [];
    for (const [index, fault] of FAULTS.entries()) {
      log(`faults: ${fault.name}`);
      rows.push(await scenario(fault, `f${index}`, redis, gateways));
      await sleep(1_000);
    }
    printTable(rows);
  } finally {
    try {
      process.kill(redis.pid, 'SIGCONT');
    } catch {
      // Not stopped, or gone.
    }
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await redis.stop();
  }
}

async function scenario(
  fault: Fault,
  tag: string,
  redis: RedisProcess,
  gateways: readonly GatewayProcess[],
): Promise<Row> {
  const users = Array.from({ length: USERS }, (_, index) => `${tag}-u${index}`);
  // Cached on the first replica, with every top item known.
  const top = new Map<string, string>();
  for (const userId of users) {
    const items = await readItems(gateways[0] as GatewayProcess, userId);
    top.set(userId, items[0] as string);
  }
  const buyers = users.slice(0, PURCHASES);
  const bought = new Map<string, string>();

  const reads: Read[] = [];
  let stopped = false;
  let sent = 0;
  const load = (async () => {
    const pending: Array<Promise<void>> = [];
    const started = performance.now();
    while (!stopped) {
      const userId = users[sent % users.length] as string;
      // Alternating replicas, shifted every round of users, so each user is read on both.
      const gateway = gateways[(sent + Math.floor(sent / users.length)) % 2] as GatewayProcess;
      sent += 1;
      pending.push(timedRead(gateway, userId).then((read) => void reads.push(read)));
      await sleep(started + (sent * 1000) / RATE - performance.now());
    }
    await Promise.all(pending);
  })();
  // Bought users are also read in a tight loop on both replicas, so a late bought item cannot slip between reads.
  const watch = (async () => {
    for (let turn = 0; !stopped; turn += 1) {
      // Each buyer on one replica, then on the other: the one that took the purchase and the one that did not.
      const userId = buyers[Math.floor(turn / 2) % buyers.length] as string;
      reads.push(await timedRead(gateways[turn % 2] as GatewayProcess, userId));
      await sleep(5);
    }
  })();

  await sleep(1_000);
  const faultStartedAt = performance.now();
  const end = await fault.start(redis);
  let applied = 0;
  let retryable = 0;
  let otherPurchaseErrors = 0;
  await sleep(Math.min(500, FAULT_MS / 4));
  await Promise.all(
    buyers.map(async (userId, index) => {
      await sleep((index * FAULT_MS) / 2 / buyers.length);
      const itemId = top.get(userId) as string;
      bought.set(userId, itemId);
      const { body } = await postGraphQL((gateways[index % 2] as GatewayProcess).url, BUY, {
        input: { userId, itemId, orderId: `${tag}-order-${index}` },
      });
      const code = body.errors?.[0]?.extensions?.code;
      if (body.errors === undefined) applied += 1;
      else if (code === 'STORE_UNAVAILABLE') retryable += 1;
      else otherPurchaseErrors += 1;
    }),
  );
  await sleep(faultStartedAt + FAULT_MS - performance.now());
  await end();
  const answeredAt = performance.now();
  const recoverMs = await timeToRecover(gateways, answeredAt);
  await sleep(answeredAt + WATCH_MS - performance.now());
  stopped = true;
  await Promise.all([load, watch]);

  const duringFault = reads.filter((read) => read.startedAt >= faultStartedAt && read.startedAt < answeredAt);
  const latencies = Float64Array.from(duringFault.map((read) => read.ms)).sort();
  const servedAfter = reads
    .filter(
      (read) =>
        read.startedAt >= answeredAt &&
        read.ok &&
        bought.has(read.userId) &&
        read.items.includes(bought.get(read.userId) as string),
    )
    .map((read) => read.startedAt - answeredAt);
  return {
    fault: fault.name,
    applied,
    retryable,
    otherPurchaseErrors,
    servedAfter: servedAfter.length,
    servedLate: servedAfter.filter((ms) => ms > LATE_MS).length,
    lastServedMs: servedAfter.length === 0 ? undefined : Math.max(...servedAfter),
    failedReads: reads.filter((read) => !read.ok).length,
    reads: reads.length,
    p50: percentileOfSorted(latencies, 50),
    p99: percentileOfSorted(latencies, 99),
    recoverMs,
  };
}

/** From Redis answering until both breakers are closed and neither replica holds a purchase; undefined if not in 5 s. */
async function timeToRecover(gateways: readonly GatewayProcess[], answeredAt: number): Promise<number | undefined> {
  while (performance.now() - answeredAt < 5_000) {
    const samples = (
      await Promise.all(
        gateways.map(async (gateway) => parseSamples(await (await fetch(`${gateway.origin}/metrics`)).text())),
      )
    ).flat();
    if (sumOf(samples, 'recs_store_breaker_state') === 0 && sumOf(samples, 'recs_purchase_outbox_size') === 0)
      return performance.now() - answeredAt;
    await sleep(20);
  }
  return undefined;
}

async function timedRead(gateway: GatewayProcess, userId: string): Promise<Read> {
  const startedAt = performance.now();
  try {
    const { status, body } = await postGraphQL(gateway.url, READ, { u: userId });
    const list = body.data?.recommendations as { items: Array<{ item: { id: string } }> } | undefined;
    const ok = status === 200 && body.errors === undefined && list !== undefined;
    return {
      startedAt,
      ms: performance.now() - startedAt,
      ok,
      items: list?.items.map((item) => item.item.id) ?? [],
      userId,
    };
  } catch {
    return { startedAt, ms: performance.now() - startedAt, ok: false, items: [], userId };
  }
}

async function readItems(gateway: GatewayProcess, userId: string): Promise<string[]> {
  const read = await timedRead(gateway, userId);
  if (!read.ok) throw new Error(`warm-up read of ${userId} failed`);
  return [...read.items];
}

function printTable(rows: readonly Row[]): void {
  const ms = (value: number | undefined) =>
    value === undefined || Number.isNaN(value) ? '–' : `${Math.round(value)} ms`;
  const load = loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
  console.log(
    `\nREDIS_TIMEOUT_MS ${REDIS_TIMEOUT_MS}, faults of ${FAULT_MS / 1000} s, ${RATE} reads/s over 2 replicas, ${PURCHASES} purchases during each fault; machine load average ${load}\n`,
  );
  console.log(
    '| fault | purchases applied / STORE_UNAVAILABLE | bought items served after Redis answered: > 1 s (must be 0) / in all (last) | failed reads | read p50 / p99 during the fault | time to recover |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) {
    const other = row.otherPurchaseErrors > 0 ? ` (+${row.otherPurchaseErrors} other errors)` : '';
    console.log(
      `| ${row.fault} | ${row.applied} / ${row.retryable}${other} | **${row.servedLate}** / ${row.servedAfter} (${ms(row.lastServedMs)}) | ${row.failedReads} of ${row.reads} | ${ms(row.p50)} / ${ms(row.p99)} | ${ms(row.recoverMs)} |`,
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
