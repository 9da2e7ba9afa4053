import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { SECRET, hsToken } from '../security/helpers.js';
import { startPrefixProxy } from '../support/prefix-proxy.js';
import type { PrefixProxy } from '../support/prefix-proxy.js';

/**
 * The offline GraphQL IDE in a real browser (Debian's chromium, driven by playwright-core). The gateway must serve
 * everything the page needs from its own origin, under a CSP that allows only that origin, and the IDE must be able
 * to run its default query against the gateway.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/ide.png';
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Generous: two cores shared with other test files, and the GraphiQL bundle is a few MB to parse.
const UI_TIMEOUT_MS = 30_000;

interface PageRecord {
  readonly requests: Array<{ url: string; method: string; postData: string | null; authorization: string | undefined }>;
  readonly responses: Array<{ url: string; status: number }>;
  readonly failed: Array<{ url: string; failure: string }>;
  readonly consoleErrors: string[];
  readonly consoleWarnings: string[];
  readonly pageErrors: string[];
}

// Collects `securitypolicyviolation` events from the first moment of the page (injected by the driver, not inline,
// so the page's own CSP does not block it).
const CSP_RECORDER = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', function (event) {
    window.__cspViolations.push(event.violatedDirective + ' blocked ' + event.blockedURI);
  });
`;

// Reads CodeMirror 5 documents through the instance GraphiQL 3 hangs on each editor's wrapper element: the DOM only
// holds the lines in view, the instance holds the whole text.
function editorValue(selector: string): string {
  return `(function () {
    var wrapper = document.querySelector(${JSON.stringify(`${selector} .CodeMirror`)});
    return wrapper && wrapper.CodeMirror ? wrapper.CodeMirror.getValue() : null;
  })()`;
}

function recordPage(page: Page): PageRecord {
  const record: PageRecord = {
    requests: [],
    responses: [],
    failed: [],
    consoleErrors: [],
    consoleWarnings: [],
    pageErrors: [],
  };
  page.on('request', (request) =>
    record.requests.push({
      url: request.url(),
      method: request.method(),
      postData: request.postData(),
      authorization: request.headers().authorization,
    }),
  );
  page.on('response', (response) => record.responses.push({ url: response.url(), status: response.status() }));
  page.on('requestfailed', (request) =>
    record.failed.push({ url: request.url(), failure: request.failure()?.errorText ?? 'unknown' }),
  );
  page.on('console', (message) => {
    const location = message.location();
    const text = `${message.text()} (${location.url}:${location.lineNumber})`;
    if (message.type() === 'error') record.consoleErrors.push(text);
    if (message.type() === 'warning') record.consoleWarnings.push(text);
  });
  page.on('pageerror', (error) => record.pageErrors.push(`${error.name}: ${error.message}`));
  return record;
}

/** Parses a CSP header into directive → sources. */
function parseCsp(header: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '') directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this)`,
    );
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
});

describe('offline GraphiQL IDE in a real browser', () => {
  let gateway: InProcessGateway;
  let context: BrowserContext;

  beforeAll(async () => {
    gateway = await startGateway();
    // A fresh context: empty storage, so GraphiQL opens with the gateway's default query, not a remembered tab.
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await gateway?.close();
  });

  it(
    'loads only from the gateway, under a self-only CSP, and runs the default query',
    { timeout: 120_000 },
    async () => {
      const page = await context.newPage();
      await page.addInitScript({ content: CSP_RECORDER });
      const record = recordPage(page);

      const response = await page.goto(`${gateway.origin}/graphql`, { waitUntil: 'load', timeout: UI_TIMEOUT_MS });
      if (response === null) throw new Error('navigation returned no response');
      expect(response.status()).toBe(200);
      expect(response.headers()['content-type']).toMatch(/^text\/html/);

      // The page's CSP allows this origin only: no CDN host, no wildcard, no inline or eval'd script.
      const cspHeader = response.headers()['content-security-policy'];
      expect(cspHeader).toBeDefined();
      const csp = parseCsp(cspHeader ?? '');
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('connect-src')).toEqual(["'self'"]);
      const allowedSources = new Set(["'self'", "'unsafe-inline'", 'data:']);
      for (const [directive, sources] of csp) {
        expect(sources.length, directive).toBeGreaterThan(0);
        for (const source of sources) expect(allowedSources.has(source), `${directive} ${source}`).toBe(true);
      }
      // 'unsafe-inline' only for styles (GraphiQL's editors set inline styles), never for scripts.
      for (const [directive, sources] of csp) {
        if (sources.includes("'unsafe-inline'")) expect(directive).toBe('style-src');
      }

      // GraphiQL renders: the container, the query editor holding the default query, and the execute button.
      await page.locator('.graphiql-container').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      const executeButton = page.locator('.graphiql-execute-button');
      await executeButton.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      await expect
        .poll(async () => page.evaluate<string | null>(editorValue('.graphiql-query-editor')), {
          timeout: UI_TIMEOUT_MS,
        })
        .toContain('recommendations(userId: $userId, first: 5)');
      expect(await page.title()).toBe('recs-gateway · GraphiQL');

      // Run it: the result pane fills with the gateway's JSON answer.
      await executeButton.click();
      let resultText = '';
      await expect
        .poll(
          async () => {
            resultText = (await page.evaluate<string | null>(editorValue('.result-window'))) ?? '';
            return resultText;
          },
          { timeout: UI_TIMEOUT_MS, interval: 200 },
        )
        .toContain('"modelVersion"');
      const result = JSON.parse(resultText) as {
        data?: {
          recommendations?: {
            userId: string;
            modelVersion: string;
            source: string;
            items: Array<{ rank: number; item: { id: string } }>;
          };
        };
        errors?: unknown[];
      };
      expect(result.errors).toBeUndefined();
      expect(resultText).toContain('"u42"');
      expect(resultText).toContain('"items"');
      const list = result.data?.recommendations;
      expect(list?.userId).toBe('u42');
      expect(list?.modelVersion).toBe('v1');
      expect(list?.source).toBe('MODEL');
      expect(list?.items.map((entry) => entry.rank)).toEqual([1, 2, 3, 4, 5]);
      // The result window's visible text shows it too (what an engineer actually sees).
      await expect
        .poll(async () => page.locator('.result-window').innerText(), { timeout: UI_TIMEOUT_MS })
        .toContain('modelVersion');

      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Every request the page made went to the gateway's own origin (data: URLs are inline, not network).
      const network = record.requests.filter((request) => !request.url.startsWith('data:'));
      expect(network.length).toBeGreaterThanOrEqual(6);
      const external = network.filter((request) => new URL(request.url).origin !== gateway.origin);
      expect(external, JSON.stringify(external)).toEqual([]);
      const paths = network.map((request) => new URL(request.url).pathname);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/graphql',
          '/graphql/ide/graphiql.min.css',
          '/graphql/ide/react.production.min.js',
          '/graphql/ide/react-dom.production.min.js',
          '/graphql/ide/graphiql.min.js',
          '/graphql/ide/start.js',
          '/graphql/ide/ide.css',
        ]),
      );
      // The execute button POSTed the default query to the gateway itself.
      const executed = network.filter(
        (request) =>
          request.method === 'POST' &&
          new URL(request.url).pathname === '/graphql' &&
          (request.postData ?? '').includes('recommendations(userId: $userId, first: 5)'),
      );
      expect(executed.length).toBeGreaterThanOrEqual(1);
      // Nothing failed or came back as an error status.
      expect(record.failed, JSON.stringify(record.failed)).toEqual([]);
      const badResponses = record.responses.filter((entry) => entry.status >= 400);
      expect(badResponses, JSON.stringify(badResponses)).toEqual([]);

      // GraphiQL fetched the schema from the gateway (introspection is on outside production).
      expect(
        network.some((request) => request.method === 'POST' && (request.postData ?? '').includes('__schema')),
      ).toBe(true);

      // No console errors, no uncaught exceptions, no CSP violations (reported as events and as console messages).
      // The browser's own /favicon.ico probe is covered by its own test below, so one defect fails one test.
      expect(record.consoleErrors.filter((text) => !text.includes('/favicon.ico'))).toEqual([]);
      expect(record.pageErrors).toEqual([]);
      expect(record.consoleWarnings.filter((text) => /content security policy/i.test(text))).toEqual([]);
      expect(await page.evaluate<string[]>('window.__cspViolations')).toEqual([]);

      await page.close();
    },
  );

  it('gives the browser an icon, so its automatic /favicon.ico request does not log a 404 on every visit', async () => {
    // Chromium asks for /favicon.ico after load unless the page declares an icon; that request is not one of the
    // page's own (no 'request' event) but its 404 lands in the console as an error.
    const page = await context.newPage();
    const record = recordPage(page);
    await page.goto(`${gateway.origin}/graphql`, { waitUntil: 'load', timeout: UI_TIMEOUT_MS });
    const declaredIcon = await page.evaluate<string | null>(
      `(function () { var link = document.querySelector('link[rel~="icon"]'); return link ? link.href : null; })()`,
    );
    const favicon = await fetch(`${gateway.origin}/favicon.ico`);
    await favicon.arrayBuffer();
    const servesFavicon = favicon.status < 400;
    expect(
      declaredIcon !== null || servesFavicon,
      `no <link rel="icon"> in the page and GET /favicon.ico answers ${favicon.status}`,
    ).toBe(true);
    if (declaredIcon !== null) {
      expect(declaredIcon.startsWith('data:') || new URL(declaredIcon).origin === gateway.origin, declaredIcon).toBe(
        true,
      );
    }
    await page.locator('.graphiql-container').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(record.consoleErrors).toEqual([]);
    await page.close();
  });

  it('serves GraphQL, not the IDE, to a GET without Accept: text/html', async () => {
    const query = encodeURIComponent('{ recommendations(userId: "u43", first: 1) { userId } }');
    const response = await fetch(`${gateway.url}?query=${query}`, {
      headers: { accept: 'application/graphql-response+json, application/json', 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/json/);
    expect(response.headers.get('content-security-policy')).toBeNull();
    // The list's freshness rides along in extensions.recsCache (see test/http/cache-signals.test.ts).
    expect(await response.json()).toEqual({
      data: { recommendations: { userId: 'u43' } },
      extensions: { recsCache: [expect.objectContaining({ userId: 'u43' })] },
    });
  });

  it('serves the IDE assets from the gateway, with no source-map references left for the browser to fetch', async () => {
    for (const name of [
      'react.production.min.js',
      'react-dom.production.min.js',
      'graphiql.min.js',
      'graphiql.min.css',
      'start.js',
      'ide.css',
    ]) {
      const response = await fetch(`${gateway.origin}/graphql/ide/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toMatch(
        name.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
      expect(response.headers.get('x-content-type-options'), name).toBe('nosniff');
      const body = await response.text();
      expect(body.length, name).toBeGreaterThan(0);
      // A sourceMappingURL would make DevTools fetch a file the gateway does not serve (a 404 in the console).
      expect(/[#@] sourceMappingURL=/.test(body.slice(-500)), `${name} still names a source map`).toBe(false);
      expect(body, name).not.toMatch(/https?:\/\/(cdn|unpkg|fonts\.googleapis|jsdelivr)/);
    }
    expect((await fetch(`${gateway.origin}/graphql/ide/nope.js`)).status).toBe(404);
  });
});

// Helpers for the settings below: open the page, open the docs, run the default query.

async function openIde(context: BrowserContext, url: string): Promise<{ page: Page; record: PageRecord }> {
  const page = await context.newPage();
  const record = recordPage(page);
  const response = await page.goto(url, { waitUntil: 'load', timeout: UI_TIMEOUT_MS });
  expect(response?.status()).toBe(200);
  await page.locator('.graphiql-container').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  return { page, record };
}

function schemaFetches(record: PageRecord): PageRecord['requests'] {
  return record.requests.filter(
    (request) => request.method === 'POST' && (request.postData ?? '').includes('__schema'),
  );
}

async function noticeOf(page: Page): Promise<string> {
  return (await page.locator('.recs-ide-notice').textContent()) ?? '';
}

/** Opens the documentation explorer and returns its text once it has settled on a schema or its absence. */
async function docsText(page: Page): Promise<string> {
  const explorer = page.locator('.graphiql-doc-explorer');
  if (!(await explorer.isVisible())) await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
  await explorer.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  return (await explorer.innerText()) ?? '';
}

/** Opens the docs at the Query type: its fields are there only when the schema was fetched. */
async function queryTypeDocs(page: Page): Promise<string> {
  await docsText(page);
  await page
    .locator('a.graphiql-doc-explorer-type-name', { hasText: /^Query$/ })
    .first()
    .click({ timeout: UI_TIMEOUT_MS });
  await expect
    .poll(async () => page.locator('.graphiql-doc-explorer').innerText(), { timeout: UI_TIMEOUT_MS })
    .toContain('recommendations');
  return page.locator('.graphiql-doc-explorer').innerText();
}

async function runDefaultQuery(
  page: Page,
): Promise<{ data?: { recommendations?: { userId: string } }; errors?: unknown[] }> {
  await page.locator('.graphiql-execute-button').click();
  let text = '';
  await expect
    .poll(
      async () => {
        text = (await page.evaluate<string | null>(editorValue('.result-window'))) ?? '';
        return text;
      },
      { timeout: UI_TIMEOUT_MS, interval: 200 },
    )
    .toMatch(/"(modelVersion|errors)"/);
  return JSON.parse(text) as { data?: { recommendations?: { userId: string } }; errors?: unknown[] };
}

async function useToken(page: Page, token: string): Promise<void> {
  await page.locator('#recs-ide-token').fill(token);
  await page.getByRole('button', { name: 'Use token' }).click();
}

describe('the IDE with authentication on', () => {
  let gateway: InProcessGateway;
  let context: BrowserContext;

  beforeAll(async () => {
    gateway = await startGateway({ AUTH_JWT_SECRET: SECRET, MODEL_WORKERS: '0' });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  });
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await gateway?.close();
  });

  it('without a token the page asks for one and fetches no schema (no 401 on load)', { timeout: 120_000 }, async () => {
    const { page, record } = await openIde(context, gateway.url);
    expect(await noticeOf(page)).toContain('requires a bearer token');
    expect(await docsText(page)).toContain('No GraphQL schema available');
    expect(schemaFetches(record)).toEqual([]);
    expect(record.responses.filter((entry) => entry.status >= 400)).toEqual([]);
    expect(record.consoleErrors).toEqual([]);
    expect(record.pageErrors).toEqual([]);
    await page.close();
  });

  it(
    'a typed token loads the schema docs, runs queries, and lasts through a reload of the tab',
    { timeout: 120_000 },
    async () => {
      const token = await hsToken({ sub: 'u42' });
      const { page, record } = await openIde(context, gateway.url);
      await useToken(page, token);

      // The schema fetch carries the token, is answered, and the docs show the schema's fields.
      await expect.poll(() => schemaFetches(record).length, { timeout: UI_TIMEOUT_MS }).toBeGreaterThanOrEqual(1);
      expect(schemaFetches(record).map((request) => request.authorization)).toEqual(
        schemaFetches(record).map(() => `Bearer ${token}`),
      );
      const docs = await queryTypeDocs(page);
      expect(docs).toContain('recommendations');
      expect(await noticeOf(page)).toBe('');

      const result = await runDefaultQuery(page);
      expect(result.errors).toBeUndefined();
      expect(result.data?.recommendations?.userId).toBe('u42');
      const posts = record.requests.filter((request) => request.method === 'POST');
      expect(posts.length).toBeGreaterThanOrEqual(2);
      for (const post of posts) expect(post.authorization).toBe(`Bearer ${token}`);
      expect(record.responses.filter((entry) => entry.status >= 400)).toEqual([]);

      // Kept in this tab's sessionStorage: a reload fetches the schema with it straight away.
      expect(await page.evaluate<string | null>("window.sessionStorage.getItem('recs-gateway.ide.bearer-token')")).toBe(
        token,
      );
      const before = schemaFetches(record).length;
      await page.reload({ waitUntil: 'load', timeout: UI_TIMEOUT_MS });
      await expect.poll(() => schemaFetches(record).length, { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(before);
      expect(schemaFetches(record).at(-1)?.authorization).toBe(`Bearer ${token}`);
      expect(await queryTypeDocs(page)).toContain('recommendations');
      expect(await page.locator('#recs-ide-token').inputValue()).toBe(token);
      expect(record.pageErrors).toEqual([]);
      await page.close();
    },
  );

  it(
    'a pasted "Bearer …" header value works too; a refused token is reported on the page; Clear forgets it',
    { timeout: 120_000 },
    async () => {
      const { page, record } = await openIde(context, gateway.url);
      await useToken(page, 'Bearer x.y.z');
      await expect.poll(() => noticeOf(page), { timeout: UI_TIMEOUT_MS }).toContain('refused this token (401)');
      expect(schemaFetches(record).at(-1)?.authorization).toBe('Bearer x.y.z');

      const token = await hsToken({ sub: 'u42' });
      await useToken(page, `Bearer ${token}`);
      await expect.poll(() => noticeOf(page), { timeout: UI_TIMEOUT_MS }).toBe('');
      expect(schemaFetches(record).at(-1)?.authorization).toBe(`Bearer ${token}`);
      expect(await queryTypeDocs(page)).toContain('recommendations');

      await page.getByRole('button', { name: 'Clear' }).click();
      expect(await noticeOf(page)).toContain('requires a bearer token');
      expect(
        await page.evaluate<string | null>("window.sessionStorage.getItem('recs-gateway.ide.bearer-token')"),
      ).toBeNull();
      await page.close();
    },
  );
});

describe('the IDE with introspection off (production, GRAPHQL_IDE=true)', () => {
  let gateway: InProcessGateway;
  let context: BrowserContext;

  beforeAll(async () => {
    gateway = await startGateway({
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: SECRET,
      GRAPHQL_IDE: 'true',
      MODEL_WORKERS: '0',
    });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  });
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await gateway?.close();
  });

  it(
    'names the gateway setting that enables the docs, never asks for the schema, and still runs queries',
    { timeout: 120_000 },
    async () => {
      const { page, record } = await openIde(context, gateway.url);
      await useToken(page, await hsToken({ sub: 'u42' }));
      const notice = await noticeOf(page);
      expect(notice).toContain('GRAPHQL_INTROSPECTION=true');
      expect(notice).not.toMatch(/ApolloServer/);
      expect(await docsText(page)).toContain('No GraphQL schema available');
      const result = await runDefaultQuery(page);
      expect(result.errors).toBeUndefined();
      expect(result.data?.recommendations?.userId).toBe('u42');
      expect(schemaFetches(record)).toEqual([]);
      expect(await page.locator('body').innerText()).not.toContain('pass introspection: true');
      await page.screenshot({ path: '/tmp/ide-introspection-off.png' });
      expect(record.responses.filter((entry) => entry.status >= 400)).toEqual([]);
      await page.close();
    },
  );
});

describe('the IDE behind a reverse proxy that mounts the gateway under /prefix/', () => {
  let gateway: InProcessGateway;
  let proxy: PrefixProxy;
  let context: BrowserContext;

  beforeAll(async () => {
    gateway = await startGateway({ MODEL_WORKERS: '0' });
    proxy = await startPrefixProxy(gateway.origin, '/prefix');
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  });
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await proxy?.close();
    await gateway?.close();
  });

  it('loads its assets, the schema and query answers through the prefix only', { timeout: 120_000 }, async () => {
    const { page, record } = await openIde(context, `${proxy.origin}/prefix/graphql`);
    expect(await queryTypeDocs(page)).toContain('recommendations');
    const result = await runDefaultQuery(page);
    expect(result.data?.recommendations?.userId).toBe('u42');

    const network = record.requests.filter((request) => !request.url.startsWith('data:'));
    expect(network.length).toBeGreaterThanOrEqual(8);
    for (const request of network) {
      expect(new URL(request.url).origin, request.url).toBe(proxy.origin);
      expect(new URL(request.url).pathname, request.url).toMatch(/^\/prefix\/graphql(\/ide\/[a-z.-]+)?$/);
    }
    expect(proxy.paths.filter((path) => !path.startsWith('/prefix/'))).toEqual([]);
    expect(schemaFetches(record).length).toBeGreaterThanOrEqual(1);
    expect(record.failed).toEqual([]);
    expect(record.responses.filter((entry) => entry.status >= 400)).toEqual([]);
    expect(record.pageErrors).toEqual([]);
    await page.close();
  });
});
