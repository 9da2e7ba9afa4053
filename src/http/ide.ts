import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/**
 * The GraphQL IDE for engineers debugging the gateway, served entirely by the gateway itself. Many deployments have
 * no internet, and Apollo's landing pages load from a CDN, so GraphiQL and React come from our own node_modules
 * as their prebuilt browser bundles, read once at start-up. The page's Content-Security-Policy allows only this
 * origin, so a stray external URL would fail loudly in the browser test rather than silently in production.
 */
export const IDE_ASSET_PATH = '/graphql/ide/';

const require = createRequire(import.meta.url);

interface Asset {
  readonly body: Buffer | string;
  readonly type: string;
}

const DEFAULT_QUERY = `# recs-gateway: recommendations for one user.
# Run with the ▶ button; try recordPurchase to see the list change at once.
query Recommendations($userId: ID! = "u42") {
  recommendations(userId: $userId, first: 5) {
    userId
    modelVersion
    source
    ageSeconds
    generatedAt
    items { rank score item { id title category } }
  }
}
`;

const START_SCRIPT = `(function () {
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)} }));
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>recs-gateway · GraphiQL</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${IDE_ASSET_PATH}graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="${IDE_ASSET_PATH}react.production.min.js"></script>
  <script src="${IDE_ASSET_PATH}react-dom.production.min.js"></script>
  <script src="${IDE_ASSET_PATH}graphiql.min.js"></script>
  <script src="${IDE_ASSET_PATH}start.js"></script>
</body>
</html>
`;

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
    ['react-dom.production.min.js', join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'), 'text/javascript'],
    ['graphiql.min.js', join(packageDir('graphiql'), 'graphiql.min.js'), 'text/javascript'],
    ['graphiql.min.css', join(packageDir('graphiql'), 'graphiql.min.css'), 'text/css'],
  ];
  const assets = new Map<string, Asset>();
  for (const [name, path, type] of files) {
    // Source-map comments would make the browser ask for files we do not serve.
    const text = (await readFile(path, 'utf8')).replace(/\n\/[/*][#@] sourceMappingURL=[^\n]*\n?$/, '\n');
    assets.set(name, { body: text, type: `${type}; charset=utf-8` });
  }
  assets.set('start.js', { body: START_SCRIPT, type: 'text/javascript; charset=utf-8' });
  return assets;
}

/** True when a GET to the GraphQL path comes from a browser page load rather than a GraphQL client. */
export function wantsIde(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

export async function registerIde(app: FastifyInstance): Promise<{ page: string; csp: string }> {
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
  return { page: PAGE, csp: CONTENT_SECURITY_POLICY };
}
