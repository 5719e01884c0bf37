/**
 * @module info-handlers
 * The read-only Ollama endpoints: GET /api/tags, GET /api/ps, POST /api/show, GET /api/version.
 */
import { formatTimestamp } from './clock.js';
import { type Exchange, sendJson } from './http-io.js';
import { detailsOf, digestOf, loadedSizeOf, modifiedAtOf, showResponseOf } from './model-catalog.js';
import type { SimulatorContext } from './simulator-context.js';

/** The Ollama release whose wire format the simulator follows. */
export const simulatedOllamaVersion = '0.12.6';

export function handleVersion(exchange: Exchange): void {
  sendJson(exchange.response, 200, { version: simulatedOllamaVersion });
}

export function handleTags(context: SimulatorContext, exchange: Exchange): void {
  const models = [...context.models.values()]
    .map(({ spec, index }) => ({
      name: spec.name,
      model: spec.name,
      modified_at: modifiedAtOf(spec, index),
      size: spec.sizeBytes,
      digest: digestOf(spec),
      details: detailsOf(spec),
    }))
    // Most recently modified first, as Ollama lists them; the timestamps sort as strings.
    .sort((left, right) => right.modified_at.localeCompare(left.modified_at));
  sendJson(exchange.response, 200, { models });
}

export function handlePs(context: SimulatorContext, exchange: Exchange): void {
  const models = context
    .loadedEntries()
    .map(({ spec, runtime }) => {
      const size = loadedSizeOf(spec, runtime.numCtx);
      return {
        expiresAtNs: runtime.expiresAt(),
        body: {
          name: spec.name,
          model: spec.name,
          size,
          digest: digestOf(spec),
          details: detailsOf(spec),
          expires_at: formatTimestamp(runtime.expiresAt()),
          size_vram: size,
          context_length: runtime.numCtx,
        },
      };
    })
    // Longest remaining time first, as Ollama sorts them.
    .sort((left, right) =>
      left.expiresAtNs < right.expiresAtNs ? 1 : left.expiresAtNs > right.expiresAtNs ? -1 : 0,
    )
    .map(({ body }) => body);
  sendJson(exchange.response, 200, { models });
}

export function handleShow(context: SimulatorContext, exchange: Exchange, body: unknown): void {
  const request =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const name = typeof request.model === 'string' && request.model !== '' ? request.model : request.name;
  const entry = typeof name === 'string' ? context.findModel(name) : undefined;
  if (typeof name !== 'string' || name === '') {
    sendJson(exchange.response, 400, { error: 'model is required' });
  } else if (!entry) {
    sendJson(exchange.response, 404, { error: `model '${name}' not found` });
  } else {
    sendJson(exchange.response, 200, showResponseOf(entry.spec, entry.index));
  }
}
