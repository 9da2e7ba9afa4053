/**
 * Credentials for the bench: production config requires JWT auth, so the gateway runs with a fresh HS256 secret and
 * every request (baseline ones too, so both carry the same bytes) sends a service token allowed to read any user's
 * list. Signed with node:crypto directly: HS256 is one HMAC over two base64url segments.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface BenchAuth {
  /** AUTH_JWT_SECRET for the gateway. */
  readonly secret: string;
  /** `Bearer <jwt>` */
  readonly authorization: string;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export function createBenchAuth(validSeconds = 3600): BenchAuth {
  const secret = randomBytes(32).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({ sub: 'recs-bench', scope: 'recommendations:read:any', iat: now, exp: now + validSeconds }),
  );
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return { secret, authorization: `Bearer ${header}.${payload}.${signature}` };
}
