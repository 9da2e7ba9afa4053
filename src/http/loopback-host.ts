import { isIPv6 } from 'node:net';
import { HostNotAllowedError } from '../errors.js';
import { refusalMediaType, requestError } from './batch-refusal.js';

/**
 * Which `Host` headers a gateway without authentication answers: loopback names and addresses only. Binding loopback
 * keeps other machines out, but not DNS rebinding: a page the developer visits can re-resolve its own name to
 * 127.0.0.1, and the browser then treats the gateway's answers as that page's own. The page's requests still carry
 * its name in `Host`, which is how they are told apart (webpack-dev-server's and Vite's `allowedHosts` do the same).
 *
 * Pure: the hook that applies it is `loopback-host-guard.ts`.
 */

/** `name` or `name:port`, or `[v6]` / `[v6]:port` (no zone id); a port is 1 to 5 digits. */
const BRACKETED = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/;
const NAME_WITH_PORT = /^([^:[\]]*)(?::(\d{1,5}))?$/;
/** Only names that resolve to loopback by rule, not by a DNS answer someone else controls (RFC 6761, section 6.3). */
const LOCALHOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*localhost$/;
const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True when `host` (a `Host` header, absent or not) names this machine's loopback interface, whatever the port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const lower = host.toLowerCase();
  const bracketed = BRACKETED.exec(lower);
  if (bracketed !== null) return isValidPort(bracketed[2]) && isIpv6Loopback(bracketed[1] ?? '');
  const named = NAME_WITH_PORT.exec(lower);
  if (named === null || !isValidPort(named[2])) return false;
  // `localhost.` is the same name written fully qualified; one trailing dot only.
  const name = (named[1] ?? '').replace(/\.$/, '');
  return LOCALHOST_NAME.test(name) || isIpv4Loopback(name);
}

function isValidPort(port: string | undefined): boolean {
  return port === undefined || Number(port) <= 65535;
}

function isIpv4Loopback(name: string): boolean {
  const octets = IPV4_LOOPBACK.exec(name);
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255);
}

/** `::1` in any spelling, and IPv4-mapped 127.0.0.0/8 (`::ffff:127.0.0.1`). */
function isIpv6Loopback(address: string): boolean {
  // Never throws: a matcher that threw would answer a hostile Host with a 500 instead of the refusal.
  if (!isIPv6(address) || !URL.canParse(`http://[${address}]/`)) return false;
  // The URL parser writes every spelling of an address one way (`0:0::1` → `::1`, `::ffff:127.0.0.1` → `::ffff:7f00:1`).
  const canonical = new URL(`http://[${address}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

export interface HostRefusal {
  readonly status: 403;
  /** The `extensions.code` of the GraphQL answer; none for the text one, which is not a GraphQL answer. */
  readonly code?: string;
  readonly contentType: string;
  readonly body: string;
}

const refusal = new HostNotAllowedError();

/**
 * The answer to a request for another host: for a GraphQL client an error as Apollo formats a request error (no
 * `data`), in the JSON media type `accept` picks; for anything else (the IDE page, `/metrics`) the message as text.
 * The offending `Host` is not echoed: it is the attacker's to choose.
 */
export function refuseHost(graphql: boolean, accept: string | undefined): HostRefusal {
  if (!graphql) return { status: 403, contentType: 'text/plain; charset=utf-8', body: `${refusal.message}\n` };
  return {
    status: 403,
    code: refusal.extensions.code,
    contentType: refusalMediaType(accept),
    body: `${JSON.stringify(requestError(refusal.message, refusal.extensions.code))}\n`,
  };
}
