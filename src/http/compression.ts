import compress from '@fastify/compress';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, onRouteHookHandler } from 'fastify';

/**
 * Response compression, negotiated by `Accept-Encoding`: brotli (quality 4, the plugin's default, as most CDNs use
 * for dynamic content) or gzip. It pays for the IDE's bundle (978 KB of script, 311 KB compressed) and
 * for large answers (a 100-item list is 10.7 KB); below `minBytes` it is skipped, because compressing a typical hit
 * (a 20-item list is about 2.4 KB) costs more CPU than the bytes it saves are worth inside a data centre.
 *
 * Request bodies are never decompressed: the 64 KiB body limit would then apply to the compressed size, and a small
 * compressed body could inflate into a large one. A body sent with `Content-Encoding` is read as the bytes it is
 * (gzip is not JSON: 400).
 */
export async function registerCompression(app: FastifyInstance, options: { readonly minBytes: number }): Promise<void> {
  // The plugin adds its onSend hook to each route as the route is declared (an onRoute hook); the two hooks around
  // it find the hook it added, by the route's onSend count before and after.
  const countBefore = new WeakMap<RouteOptions, number>();
  const countHooks: onRouteHookHandler = (route) => {
    countBefore.set(route, hooksOf(route.onSend).length);
  };
  app.addHook('onRoute', countHooks);
  await app.register(compress, {
    encodings: ['br', 'gzip'],
    threshold: options.minBytes,
    globalDecompression: false,
  });
  const wrapAddedHooks: onRouteHookHandler = (route) => {
    const hooks = hooksOf(route.onSend);
    const first = countBefore.get(route) ?? hooks.length;
    if (hooks.length === first) return;
    const wrapped = hooks.map((hook, index) => (index < first ? hook : skippingSmallBodies(hook, options.minBytes)));
    route.onSend = wrapped as unknown as RouteOptions['onSend'];
  };
  app.addHook('onRoute', wrapAddedHooks);
}

/** An onSend hook as Fastify calls it (the plugin's is callback-style). */
type OnSend = (
  this: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: Error | null, payload?: unknown) => void,
) => unknown;

function hooksOf(onSend: RouteOptions['onSend']): OnSend[] {
  if (onSend === undefined) return [];
  return (Array.isArray(onSend) ? onSend : [onSend]) as OnSend[];
}

/**
 * The plugin's hook, not run for a text body below the threshold: it would leave such a body as it is (no header
 * either), after reading four headers, a MIME table and `Accept-Encoding` on every response (every cache hit).
 */
function skippingSmallBodies(hook: OnSend, minBytes: number): OnSend {
  return function (this: FastifyInstance, request, reply, payload, done) {
    // A string's UTF-8 size is at least its length, so only a short one needs counting.
    if (typeof payload === 'string' && payload.length < minBytes && Buffer.byteLength(payload) < minBytes) {
      done(null, payload);
      return;
    }
    return hook.call(this, request, reply, payload, done);
  };
}
