import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import { redisCli, startRedis, startRedisCluster } from './redis-server.js';
import type { RedisClusterProcess, RedisProcess } from './redis-server.js';

// Never the shared server on 6379: every assertion below targets a port the harness picked.
const SYSTEM_REDIS_PORT = 6379;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function redis(options?: Parameters<typeof startRedis>[0]): Promise<RedisProcess> {
  const server = await startRedis(options);
  cleanups.push(() => server.stop());
  return server;
}

async function cluster(masters?: number): Promise<RedisClusterProcess> {
  const started = await startRedisCluster(masters === undefined ? {} : { masters });
  cleanups.push(() => started.stop());
  return started;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Port of the master whose slot range (from CLUSTER NODES) contains `slot`. */
function ownerOfSlot(clusterNodes: string, slot: number): number {
  for (const line of clusterNodes.split('\n')) {
    const [, address, flags, , , , , , ...ranges] = line.trim().split(' ');
    if (address === undefined || flags === undefined || !flags.includes('master')) continue;
    const owns = ranges.some((range) => {
      const [from, to = from] = range.split('-').map(Number);
      return from !== undefined && to !== undefined && slot >= from && slot <= to;
    });
    if (owns) return Number(/:(\d+)@/.exec(address)?.[1]);
  }
  throw new Error(`no master owns slot ${slot}:\n${clusterNodes}`);
}

describe('freePort', () => {
  it('returns distinct bindable ports', async () => {
    const [a, b] = await Promise.all([freePort(), freePort()]);
    expect(a).not.toBe(b);
    expect(await canBind(a)).toBe(true);
  });
});

describe('startRedis', () => {
  it('starts a server on a free port that answers PING', async () => {
    const server = await redis();
    expect(server.port).not.toBe(SYSTEM_REDIS_PORT);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(isAlive(server.pid)).toBe(true);
    expect(await redisCli(server.port, 'PING')).toBe('PONG');
  });

  it('applies the no-persistence defaults and extra args', async () => {
    const server = await redis({ args: ['--maxmemory', '10mb'] });
    expect(await redisCli(server.port, 'CONFIG', 'GET', 'save')).toBe('save');
    expect(await redisCli(server.port, 'CONFIG', 'GET', 'appendonly')).toBe('appendonly\nno');
    expect(await redisCli(server.port, 'CONFIG', 'GET', 'maxmemory')).toBe(`maxmemory\n${10 * 1024 * 1024}`);
  });

  it('honours a fixed port', async () => {
    const port = await freePort();
    const server = await redis({ port });
    expect(server.port).toBe(port);
    expect(await redisCli(port, 'PING')).toBe('PONG');
  });

  it('stop() ends the process and frees the port', async () => {
    const server = await startRedis();
    const { port, pid } = server;
    await server.stop();
    expect(isAlive(pid)).toBe(false);
    expect(await canBind(port)).toBe(true);
    await expect(redisCli(port, 'PING')).rejects.toThrow();
  });

  it('kill() crashes the server and restart() brings it back on the same port', async () => {
    const server = await redis();
    const { port, pid: firstPid } = server;
    await redisCli(port, 'SET', 'survives', 'no');

    await server.kill();
    expect(isAlive(firstPid)).toBe(false);
    await expect(redisCli(port, 'PING')).rejects.toThrow();

    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(firstPid);
    expect(await redisCli(port, 'PING')).toBe('PONG');
    // No persistence: a restarted server starts empty, like a crashed cache node would.
    expect(await redisCli(port, 'EXISTS', 'survives')).toBe('0');
  });

  it('reports a server that cannot start, with its output', async () => {
    await expect(startRedis({ args: ['--no-such-directive', 'x'] })).rejects.toThrow(/no-such-directive/);
  });

  it('explains how to install redis when it is not on PATH', async () => {
    const original = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startRedis()).rejects.toThrow(/apt-get install -y redis-server/);
    } finally {
      process.env.PATH = original;
    }
  });
});

describe('redisCli', () => {
  it('returns trimmed stdout for assertions', async () => {
    const server = await redis();
    expect(await redisCli(server.port, 'SET', 'k', 'v', 'EX', 100)).toBe('OK');
    const ttl = Number(await redisCli(server.port, 'TTL', 'k'));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(Number(await redisCli(server.port, 'MEMORY', 'USAGE', 'k'))).toBeGreaterThan(0);
    expect(await redisCli(server.port, 'INFO', 'commandstats')).toMatch(/cmdstat_set:calls=1,/);
    expect(await redisCli(server.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    expect(await redisCli(server.port, 'INFO', 'commandstats')).not.toMatch(/cmdstat_set/);
  });

  it('rejects on error replies', async () => {
    const server = await redis();
    await expect(redisCli(server.port, 'NO-SUCH-COMMAND')).rejects.toThrow(/unknown command/);
  });
});

describe('startRedisCluster', () => {
  it('creates a healthy 3-master cluster whose keys land on the owning node', { timeout: 60_000 }, async () => {
    const { nodes, urls } = await cluster();
    expect(nodes).toHaveLength(3);
    expect(urls).toEqual(nodes.map((node) => `redis://127.0.0.1:${node.port}`));
    for (const node of nodes) {
      expect(await redisCli(node.port, 'CLUSTER', 'INFO')).toMatch(/cluster_state:ok/);
      expect(isAlive(node.pid)).toBe(true);
    }

    const key = 'user:42:recs';
    const slot = Number(await redisCli(nodes[0]!.port, 'CLUSTER', 'KEYSLOT', key));
    const owner = ownerOfSlot(await redisCli(nodes[0]!.port, 'CLUSTER', 'NODES'), slot);
    // Enter through a node that does not own the slot, so the write only lands if -c follows MOVED.
    const entry = nodes.find((node) => node.port !== owner)!;

    expect(await redisCli(entry.port, '-c', 'SET', key, 'v1')).toBe('OK');
    expect(await redisCli(owner, 'GET', key)).toBe('v1');
    for (const node of nodes) {
      expect(await redisCli(node.port, 'DBSIZE')).toBe(node.port === owner ? '1' : '0');
    }
  });

  it('refuses fewer than 3 masters', async () => {
    await expect(startRedisCluster({ masters: 2 })).rejects.toThrow(/at least 3 masters/);
  });

  it('stop() ends every node', { timeout: 60_000 }, async () => {
    const started = await startRedisCluster();
    await started.stop();
    for (const node of started.nodes) {
      expect(isAlive(node.pid)).toBe(false);
      expect(await canBind(node.port)).toBe(true);
    }
  });
});
