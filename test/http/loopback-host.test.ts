import { describe, expect, it } from 'vitest';
import { isLoopbackHost, refuseHost } from '../../src/http/loopback-host.js';

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'localhost:4000',
    'LOCALHOST:4000',
    'LocalHost',
    'localhost.',
    'localhost.:4000',
    'app.localhost',
    'my-app.dev.localhost:5173',
    '127.0.0.1',
    '127.0.0.1:4000',
    '127.1.2.3:80',
    '127.255.255.255',
    '[::1]',
    '[::1]:4000',
    '[0:0:0:0:0:0:0:1]:4000',
    '[::ffff:127.0.0.1]:4000',
  ])('answers %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    // DNS rebinding: names the attacker's DNS answers for, whatever they start with.
    'evil.example',
    'evil.example:4000',
    'localhost.evil.com',
    'localhost.evil.com:4000',
    '127.0.0.1.evil.com',
    '127.0.0.1.nip.io',
    'localhost-evil.com',
    'evillocalhost',
    'evil.localhost.com',
    'xn--localhost.example',
    // Not loopback, or not one plain address.
    '128.0.0.1',
    '10.0.0.1:4000',
    '0.0.0.0',
    '127.0.0.256',
    '127.0.0',
    '127.0.0.1.1',
    '[::2]',
    '[::]',
    '[::ffff:10.0.0.1]',
    '[fe80::1%25lo]',
    '::1',
    '[::1',
    // Ports must be numbers a port can be.
    'localhost:99999',
    'localhost:http',
    'localhost:4000:4000',
    'localhost:',
    // Tricks that a lax parser reads as localhost.
    'evil.example@localhost',
    'localhost/evil',
    'localhost..',
    '.localhost',
    'local host',
    ' localhost',
    '',
  ])('refuses %j', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a request without Host', () => {
    expect(isLoopbackHost(undefined)).toBe(false);
  });
});

describe('refuseHost', () => {
  it('answers a GraphQL client with a request error carrying HOST_NOT_ALLOWED, in the media type it accepts', () => {
    const preferred = refuseHost(true, 'application/graphql-response+json, application/json');
    expect(preferred.status).toBe(403);
    expect(preferred.contentType).toBe('application/graphql-response+json; charset=utf-8');
    const body = JSON.parse(preferred.body) as {
      data?: unknown;
      errors: Array<{ message: string; extensions: unknown }>;
    };
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]?.extensions).toEqual({ code: 'HOST_NOT_ALLOWED' });
    // The code the request is counted and logged with is the one the body carries.
    expect(preferred.code).toBe('HOST_NOT_ALLOWED');
    expect(body.errors[0]?.message).toMatch(/localhost/);
    expect(refuseHost(true, 'application/json').contentType).toBe('application/json; charset=utf-8');
  });

  it('answers anything else with the message as text', () => {
    const refusal = refuseHost(false, 'text/html');
    expect(refusal.status).toBe(403);
    expect(refusal.contentType).toBe('text/plain; charset=utf-8');
    // Not a GraphQL answer: nothing to count under a code.
    expect(refusal.code).toBeUndefined();
    expect(refusal.body).toMatch(/without authentication.*localhost/);
  });
});
