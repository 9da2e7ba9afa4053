import { context } from '@opentelemetry/api';

/**
 * Async context without tracing: enough for the request id to reach the model service (`x-request-id`) when a
 * remote model is configured and tracing is off. With tracing on the SDK registers the same context manager.
 * Imported on demand: a gateway with neither a remote model nor tracing pays nothing for async context.
 */
export async function enableContextPropagation(): Promise<void> {
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  // False when one is registered already (the SDK's): that one carries the request id just as well.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}
