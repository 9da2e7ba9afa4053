import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

/**
 * `npm run token -- --sub u42 [--scope "purchases:write"] [--ttl 3600]`: mints an HS256 development token with the
 * gateway's AUTH_JWT_SECRET (and AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE when set). Production tokens come from your
 * identity provider; this exists so a developer can call a gateway that has auth switched on.
 */
const USAGE =
  'usage: AUTH_JWT_SECRET=... npm run token -- --sub <subject> [--scope "<scope> <scope>"] [--ttl <seconds>]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { sub: { type: 'string' }, scope: { type: 'string' }, ttl: { type: 'string', default: '3600' } },
  });
  const secret = process.env.AUTH_JWT_SECRET ?? '';
  const ttl = Number(values.ttl);
  if (values.sub === undefined || values.sub === '' || !Number.isInteger(ttl) || ttl < 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  // The gateway refuses tokens valid for longer than its maximum lifetime: say so here rather than mint one it refuses.
  const maxLifetime = Number(process.env.AUTH_MAX_TOKEN_LIFETIME_SECONDS || 24 * 3600);
  if (ttl > maxLifetime) {
    process.stderr.write(
      `--ttl must be at most AUTH_MAX_TOKEN_LIFETIME_SECONDS (${maxLifetime}), but got: ${ttl}\n${USAGE}\n`,
    );
    return 2;
  }
  if (Buffer.byteLength(secret, 'utf8') < 32) {
    process.stderr.write(`AUTH_JWT_SECRET must be set to the gateway's secret (at least 32 bytes)\n${USAGE}\n`);
    return 2;
  }
  let jwt = new SignJWT(values.scope === undefined ? {} : { scope: values.scope })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(values.sub)
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`);
  if (process.env.AUTH_JWT_ISSUER) jwt = jwt.setIssuer(process.env.AUTH_JWT_ISSUER);
  if (process.env.AUTH_JWT_AUDIENCE) jwt = jwt.setAudience(process.env.AUTH_JWT_AUDIENCE);
  process.stdout.write(`${await jwt.sign(new TextEncoder().encode(secret))}\n`);
  return 0;
}

process.exit(await main());
