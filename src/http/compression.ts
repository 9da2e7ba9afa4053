import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

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
  await app.register(compress, {
    encodings: ['br', 'gzip'],
    threshold: options.minBytes,
    globalDecompression: false,
  });
}
