import { ID_PATTERN, MAX_ID_LENGTH } from '../graphql/input-validation.js';

/**
 * The purchase event a checkout system publishes (docs/purchase-events.md): one JSON object per message, UTF-8,
 * at most `MAX_EVENT_BYTES`.
 *
 * ```json
 * { "orderId": "o-1001", "userId": "u-42", "itemId": "item-7", "occurredAt": "2026-11-29T14:05:00.000Z" }
 * ```
 *
 * Ids follow the same contract as the GraphQL `recordPurchase` arguments (they end up inside Redis keys); other
 * fields are ignored, so producers may add their own without breaking this consumer.
 */
export interface PurchaseEvent {
  readonly orderId: string;
  readonly userId: string;
  readonly itemId: string;
  /** When the purchase happened at the checkout (RFC 3339 with a time zone); informational, for logs and lag. */
  readonly occurredAt: Date;
}

/** Larger than any honest event (four short fields) by far, small enough that a flood of junk costs nothing. */
export const MAX_EVENT_BYTES = 4096;

export type ParsedEvent =
  { readonly ok: true; readonly event: PurchaseEvent } | { readonly ok: false; readonly reason: string };

// RFC 3339 date-time: the offset is required, so a producer's local time can never be read as UTC.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes and validates one event; never throws. The reason names the contract that was broken. */
export function parsePurchaseEvent(data: Uint8Array): ParsedEvent {
  if (data.byteLength > MAX_EVENT_BYTES) {
    return { ok: false, reason: `event is ${data.byteLength} bytes, more than the ${MAX_EVENT_BYTES} allowed` };
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(data));
  } catch {
    return { ok: false, reason: 'event is not UTF-8 JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'event must be a JSON object' };
  }
  const fields = value as Record<string, unknown>;
  const ids: string[] = [];
  for (const name of ['orderId', 'userId', 'itemId'] as const) {
    const id = fields[name];
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
      return {
        ok: false,
        reason: `${name} must be 1-${MAX_ID_LENGTH} characters of letters, digits, '_', '.', ':', '@' or '-'`,
      };
    }
    ids.push(id);
  }
  const occurredAt = fields.occurredAt;
  const time = typeof occurredAt === 'string' && RFC3339.test(occurredAt) ? new Date(occurredAt) : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) {
    return {
      ok: false,
      reason: 'occurredAt must be an RFC 3339 date-time with a time zone, e.g. 2026-11-29T14:05:00Z',
    };
  }
  const [orderId, userId, itemId] = ids as [string, string, string];
  return { ok: true, event: { orderId, userId, itemId, occurredAt: time } };
}
