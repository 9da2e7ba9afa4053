/**
 * The broker-independent parts: the event schema, the handler's policy (what is acknowledged, retried or set aside)
 * against the `record()` contract, NATS subject rules, and the PURCHASE_EVENTS_* configuration.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConflictError, ErrorCode } from '../../src/errors.js';
import { GraphQLError } from 'graphql';
import { MAX_EVENT_BYTES, parsePurchaseEvent } from '../../src/events/purchase-event.js';
import { createPurchaseEventHandler, retryDelay } from '../../src/events/purchase-event-handler.js';
import type { PurchaseRecorder } from '../../src/events/purchase-event-handler.js';
import { isValidSubject, subjectMatches } from '../../src/nats-subjects.js';
import { REMOTE_CATALOGUE_ITEM_CHECK } from '../../src/purchases/item-check.js';
import type { PurchaseResult } from '../../src/purchases/purchase-result.js';
import type { PurchaseEventOutcome } from '../../src/telemetry/events.js';
import { silentLogger } from '../../src/telemetry/events.js';

const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const GOOD = { orderId: 'o-1', userId: 'u-1', itemId: 'item-1', occurredAt: '2026-11-29T14:05:00.123Z' };

describe('parsePurchaseEvent', () => {
  it('accepts the documented event and ignores fields it does not know', () => {
    expect(parsePurchaseEvent(bytes({ ...GOOD, channel: 'web', amount: 12 }))).toEqual({
      ok: true,
      event: { orderId: 'o-1', userId: 'u-1', itemId: 'item-1', occurredAt: new Date('2026-11-29T14:05:00.123Z') },
    });
    expect(parsePurchaseEvent(bytes({ ...GOOD, occurredAt: '2026-11-29T15:05:00+01:00' }))).toMatchObject({ ok: true });
  });

  it.each([
    ['not JSON', 'nope', 'event is not UTF-8 JSON'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'event is not UTF-8 JSON'],
    ['an array', [GOOD], 'event must be a JSON object'],
    ['null', 'null', 'event must be a JSON object'],
    ['a missing orderId', { ...GOOD, orderId: undefined }, 'orderId must be 1-128 characters'],
    ['a numeric userId', { ...GOOD, userId: 42 }, 'userId must be 1-128 characters'],
    ['an itemId with a brace', { ...GOOD, itemId: 'a{b}' }, 'itemId must be 1-128 characters'],
    ['an id of 129 characters', { ...GOOD, orderId: 'o'.repeat(129) }, 'orderId must be 1-128 characters'],
    ['no occurredAt', { ...GOOD, occurredAt: undefined }, 'occurredAt must be an RFC 3339 date-time'],
    [
      'a time without a zone',
      { ...GOOD, occurredAt: '2026-11-29T14:05:00' },
      'occurredAt must be an RFC 3339 date-time',
    ],
    ['an impossible date', { ...GOOD, occurredAt: '2026-13-45T14:05:00Z' }, 'occurredAt must be an RFC 3339 date-time'],
  ])('rejects %s, saying which contract it broke', (_name, input, reason) => {
    const parsed = parsePurchaseEvent(input instanceof Uint8Array ? input : bytes(input));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(reason);
  });

  it('rejects an event over the size limit before parsing it', () => {
    const large = bytes({ ...GOOD, pad: 'x'.repeat(MAX_EVENT_BYTES) });
    expect(parsePurchaseEvent(large)).toEqual({
      ok: false,
      reason: `event is ${large.byteLength} bytes, more than the ${MAX_EVENT_BYTES} allowed`,
    });
  });
});

/** A `record()` that answers from a script, one entry per call. */
function scriptedRecorder(script: Array<PurchaseResult | Error | 'hang'>): PurchaseRecorder & { calls: number } {
  return {
    calls: 0,
    async record(userId, itemId, orderId) {
      const step = script[Math.min(this.calls, script.length - 1)];
      this.calls += 1;
      if (step === 'hang') return new Promise<PurchaseResult>(() => {});
      if (step instanceof Error) throw step;
      return { ...(step as PurchaseResult), userId, itemId, orderId };
    },
  };
}

function counting(): {
  counts: Partial<Record<PurchaseEventOutcome, number>>;
  purchaseEvent(o: PurchaseEventOutcome): void;
  purchaseEventsConnected(): void;
} {
  const counts: Partial<Record<PurchaseEventOutcome, number>> = {};
  return {
    counts,
    purchaseEvent: (outcome) => (counts[outcome] = (counts[outcome] ?? 0) + 1),
    purchaseEventsConnected: () => {},
  };
}

const RESULT: PurchaseResult = { userId: '', itemId: '', orderId: '', invalidated: true, duplicate: false };
const delivery = (attempt = 1, data = bytes(GOOD)) => ({ data, attempt, id: 'S#1' });
// Every well-formed item id, as with a remote model's catalogue.
const ANY_ITEM = REMOTE_CATALOGUE_ITEM_CHECK;

describe('the purchase event handler', () => {
  it('acknowledges an applied purchase and a duplicate, counting each', async () => {
    const telemetry = counting();
    const purchases = scriptedRecorder([RESULT, { ...RESULT, duplicate: true, invalidated: false }]);
    const handle = createPurchaseEventHandler({
      purchases,
      items: ANY_ITEM,
      telemetry,
      logger: silentLogger,
      deadlineMs: 1000,
    });
    expect(await handle(delivery())).toEqual({ kind: 'ack', outcome: 'applied' });
    expect(await handle(delivery())).toEqual({ kind: 'ack', outcome: 'duplicate' });
    expect(telemetry.counts).toEqual({ applied: 1, duplicate: 1 });
  });

  it("retries a store failure with backoff by attempt, honouring the error's retryAfterSeconds", async () => {
    const telemetry = counting();
    const storeDown = new GraphQLError('not recorded yet', {
      extensions: { code: 'STORE_UNAVAILABLE', retryable: true, retryAfterSeconds: 2 },
    });
    const handle = createPurchaseEventHandler({
      purchases: scriptedRecorder([new Error('socket closed'), storeDown]),
      items: ANY_ITEM,
      telemetry,
      logger: silentLogger,
      deadlineMs: 1000,
      firstRetryMs: 100,
      maxRetryMs: 60_000,
    });
    expect(await handle(delivery(3))).toEqual({ kind: 'retry', delayMs: 400, reason: 'socket closed' });
    expect(await handle(delivery(1))).toMatchObject({ kind: 'retry', delayMs: 2000 });
    expect(telemetry.counts).toEqual({ redelivered: 2 });
  });

  it('retries a record() that does not settle within the deadline instead of holding the delivery', async () => {
    const handle = createPurchaseEventHandler({
      purchases: scriptedRecorder(['hang']),
      items: ANY_ITEM,
      telemetry: counting(),
      logger: silentLogger,
      deadlineMs: 50,
    });
    const started = Date.now();
    expect(await handle(delivery())).toMatchObject({ kind: 'retry', reason: 'purchase not applied within 50 ms' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('sets a conflict aside for good, by class or by code', async () => {
    const telemetry = counting();
    const coded = new GraphQLError('taken', { extensions: { code: ErrorCode.CONFLICT } });
    const purchases = scriptedRecorder([new ConflictError('orderId o-1 was already recorded'), coded]);
    const handle = createPurchaseEventHandler({
      purchases,
      items: ANY_ITEM,
      telemetry,
      logger: silentLogger,
      deadlineMs: 1000,
    });
    expect(await handle(delivery())).toMatchObject({ kind: 'reject', outcome: 'conflict' });
    expect(await handle(delivery())).toMatchObject({ kind: 'reject', outcome: 'conflict' });
    expect(telemetry.counts).toEqual({ conflict: 2 });
  });

  it('sets a malformed event aside without calling record()', async () => {
    const telemetry = counting();
    const purchases = scriptedRecorder([RESULT]);
    const handle = createPurchaseEventHandler({
      purchases,
      items: ANY_ITEM,
      telemetry,
      logger: silentLogger,
      deadlineMs: 1000,
    });
    expect(await handle(delivery(1, bytes('{')))).toEqual({
      kind: 'reject',
      outcome: 'malformed',
      reason: 'event is not UTF-8 JSON',
    });
    expect(purchases.calls).toBe(0);
    expect(telemetry.counts).toEqual({ malformed: 1 });
  });

  it('caps the backoff', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((attempt) => retryDelay(attempt, 500, 15_000))).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
    expect(retryDelay(1, 500, 15_000, 60_000)).toBe(15_000);
  });
});

describe('NATS subjects', () => {
  it('validates subjects and filters', () => {
    expect(isValidSubject('purchases.recorded', false)).toBe(true);
    expect(isValidSubject('purchases.*', false)).toBe(false);
    expect(isValidSubject('purchases.*', true)).toBe(true);
    expect(isValidSubject('purchases.>', true)).toBe(true);
    expect(isValidSubject('purchases.>.x', true)).toBe(false);
    expect(isValidSubject('purchases..x', true)).toBe(false);
    expect(isValidSubject('purchases x', true)).toBe(false);
    expect(isValidSubject('purch*ses', true)).toBe(false);
  });

  it('matches literal subjects against filters', () => {
    expect(subjectMatches('purchases.recorded', 'purchases.recorded')).toBe(true);
    expect(subjectMatches('purchases.*', 'purchases.dead-letter')).toBe(true);
    expect(subjectMatches('purchases.>', 'purchases.a.b')).toBe(true);
    expect(subjectMatches('purchases.>', 'purchases')).toBe(false);
    expect(subjectMatches('purchases.*', 'purchases.a.b')).toBe(false);
    expect(subjectMatches('purchases.recorded', 'purchases.dead-letter')).toBe(false);
  });
});

describe('PURCHASE_EVENTS_* configuration', () => {
  it('is off unless PURCHASE_EVENTS_URL is set', () => {
    expect(loadConfig({}).purchaseEvents).toBeUndefined();
    expect(loadConfig({ PURCHASE_EVENTS_URL: ' ' }).purchaseEvents).toBeUndefined();
  });

  it('has a default for everything but the URL', () => {
    expect(loadConfig({ PURCHASE_EVENTS_URL: 'nats://127.0.0.1:4222, nats://10.0.0.2:4222' }).purchaseEvents).toEqual({
      servers: ['nats://127.0.0.1:4222', 'nats://10.0.0.2:4222'],
      stream: 'PURCHASES',
      subject: 'purchases.recorded',
      consumer: 'recs-gateway',
      deadLetterSubject: 'purchases.dead-letter',
      maxInFlight: 32,
      ackWaitMs: 30_000,
    });
  });

  it.each([
    [{ PURCHASE_EVENTS_URL: 'http://127.0.0.1:4222' }, 'PURCHASE_EVENTS_URL must be nats:// or tls:// URLs'],
    [{ PURCHASE_EVENTS_STREAM: 'a.b' }, 'PURCHASE_EVENTS_STREAM must be 1-64 characters'],
    [{ PURCHASE_EVENTS_CONSUMER: 'c*' }, 'PURCHASE_EVENTS_CONSUMER must be 1-64 characters'],
    [{ PURCHASE_EVENTS_SUBJECT: 'a..b' }, 'PURCHASE_EVENTS_SUBJECT must be a NATS subject'],
    [
      { PURCHASE_EVENTS_DEAD_LETTER_SUBJECT: 'dead.*' },
      'PURCHASE_EVENTS_DEAD_LETTER_SUBJECT must be a NATS subject without wildcards',
    ],
    [
      { PURCHASE_EVENTS_SUBJECT: 'purchases.>' },
      'PURCHASE_EVENTS_DEAD_LETTER_SUBJECT must not match PURCHASE_EVENTS_SUBJECT',
    ],
    [{ PURCHASE_EVENTS_MAX_IN_FLIGHT: '0' }, 'PURCHASE_EVENTS_MAX_IN_FLIGHT must be a whole number from 1 to 1000'],
    [
      { PURCHASE_EVENTS_ACK_WAIT_SECONDS: '0' },
      'PURCHASE_EVENTS_ACK_WAIT_SECONDS must be a whole number from 1 to 3600',
    ],
  ])('refuses %o at start-up', (env, message) => {
    expect(() => loadConfig({ PURCHASE_EVENTS_URL: 'nats://127.0.0.1:4222', ...env })).toThrow(message);
  });
});
