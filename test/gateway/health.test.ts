/**
 * Liveness and readiness over real HTTP with the default (memory) store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';

describe('health endpoints (memory store)', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('/healthz → 200 {status: "ok"} as JSON', async () => {
    const response = await fetch(`${gateway.origin}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz → 200 ready, with the memory store up', async () => {
    const response = await fetch(`${gateway.origin}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ready: true, status: 'ready', store: { kind: 'memory', up: true } });
  });

  it('an unknown path → 404', async () => {
    const response = await fetch(`${gateway.origin}/no-such-path`);
    expect(response.status).toBe(404);
  });
});

describe('lifecycle', () => {
  it('/readyz is 200 while serving, and after close() the port accepts no connections', async () => {
    const gateway = await startGateway();
    try {
      expect((await fetch(`${gateway.origin}/readyz`)).status).toBe(200);
    } finally {
      await gateway.close();
    }
    await expect(fetch(`${gateway.origin}/healthz`)).rejects.toThrow();
  });
});
