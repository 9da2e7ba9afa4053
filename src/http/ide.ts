import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { INTROSPECTION_SETTING } from '../graphql/introspection-rule.js';
import { IDE_SCRIPT, IDE_STYLES } from './ide-browser.js';

/**
 * The GraphQL IDE for engineers debugging the gateway, served entirely by the gateway itself. Many deployments have
 * no internet, and Apollo's landing pages load from a CDN, so GraphiQL and React come from our own node_modules
 * as their prebuilt browser bundles, read once at start-up. The page's Content-Security-Policy allows only this
 * origin, so a stray external URL would fail loudly in the browser test rather than silently in production.
 *
 * Every URL the page uses is relative, so it works behind a proxy that mounts the gateway under a path prefix
 * (`/api/graphql` → `/graphql`): the assets are named relative to the page (`graphql/ide/…`, which is why the
 * endpoint's last path segment must stay `graphql`), and the page posts to its own path (`ide-browser.ts`).
 */
export const IDE_ASSET_PATH = '/graphql/ide/';
/** The same folder as the page names it: relative to `/graphql`, the page's own URL. */
const RELATIVE_ASSET_PATH = IDE_ASSET_PATH.slice(1);

/** What the page needs to know about the gateway to behave well on load. */
export interface IdeSettings {
  /** Schema introspection is on (GRAPHQL_INTROSPECTION). Off, the page fetches no schema and says which setting. */
  readonly introspection: boolean;
  /** Every request needs a bearer token: the page fetches the schema once one is given, not before (a sure 401). */
  readonly authRequired: boolean;
}

/** The answer to a browser when the IDE is switched off (GRAPHQL_IDE=false, the production default). */
export const IDE_OFF_MESSAGE =
  'Not found: the GraphQL IDE is off on this gateway (operators enable it with GRAPHQL_IDE=true).\n';

const require = createRequire(import.meta.url);

interface Asset {
  readonly body: Buffer | string;
  readonly type: string;
}

function page(settings: IdeSettings, assets: ReadonlyMap<string, Asset>): string {
  // Each URL names its asset's content hash: assets are cached for a day, and a new release's page must not run
  // yesterday's start.js.
  const src = (name: string) => {
    const asset = assets.get(name);
    if (asset === undefined) throw new Error(`IDE asset ${name} was not loaded`);
    return `${RELATIVE_ASSET_PATH}${name}?v=${createHash('sha256').update(asset.body).digest('hex').slice(0, 12)}`;
  };
  // Settings travel as data attributes: an inline script would need 'unsafe-inline' in the CSP.
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>recs-gateway · GraphiQL</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${src('graphiql.min.css')}">
  <link rel="stylesheet" href="${src('ide.css')}">
</head>
<body>
  <div id="ide" data-introspection="${String(settings.introspection)}" data-auth-required="${String(settings.authRequired)}" data-introspection-setting="${INTROSPECTION_SETTING}">Loading GraphiQL…</div>
  <script src="${src('react.production.min.js')}"></script>
  <script src="${src('react-dom.production.min.js')}"></script>
  <script src="${src('graphiql.min.js')}"></script>
  <script src="${src('start.js')}"></script>
</body>
</html>
`;
}

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // GraphiQL's editors set inline styles and embed fonts and icons as data: URLs.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
].join('; ');

async function loadAssets(): Promise<Map<string, Asset>> {
  const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
  const files: Array<[string, string, string]> = [
    ['react.production.min.js', join(packageDir('react'), 'umd', 'react.production.min.js'), 'text/javascript'],
    [
      'react-dom.production.min.js',
      join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'),
      'text/javascript',
    ],
    ['graphiql.min.js', join(packageDir('graphiql'), 'graphiql.min.js'), 'text/javascript'],
    ['graphiql.min.css', join(packageDir('graphiql'), 'graphiql.min.css'), 'text/css'],
  ];
  const assets = new Map<string, Asset>();
  for (const [name, path, type] of files) {
    // Source-map comments would make the browser ask for files we do not serve.
    const text = (await readFile(path, 'utf8')).replace(/\n\/[/*][#@] sourceMappingURL=[^\n]*\n?$/, '\n');
    assets.set(name, { body: text, type: `${type}; charset=utf-8` });
  }
  assets.set('start.js', { body: IDE_SCRIPT, type: 'text/javascript; charset=utf-8' });
  assets.set('ide.css', { body: IDE_STYLES, type: 'text/css; charset=utf-8' });
  return assets;
}

/** True when a GET to the GraphQL path comes from a browser page load rather than a GraphQL client. */
export function wantsIde(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

/** Serves the IDE's assets; returns the page (for the GraphQL path's browser GETs) and its CSP. */
export async function registerIde(app: FastifyInstance, settings: IdeSettings): Promise<{ page: string; csp: string }> {
  const assets = await loadAssets();
  app.get<{ Params: { name: string } }>(`${IDE_ASSET_PATH}:name`, async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (asset === undefined) return reply.code(404).type('text/plain').send('not found');
    return reply
      .header('cache-control', 'public, max-age=86400')
      .header('x-content-type-options', 'nosniff')
      .type(asset.type)
      .send(asset.body);
  });
  return { page: page(settings, assets), csp: CONTENT_SECURITY_POLICY };
}
