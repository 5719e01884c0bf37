/**
 * @module chat-handler
 * POST /api/chat: validates the request in Ollama's order (body, model, keep_alive, load/unload
 * requests, capabilities, options), applies request-level faults, plans the answer and hands it to
 * the timed generation.
 */

import { runGeneration } from './chat-generation.js';
import { parseChatRequest, readModelOptions } from './chat-request.js';
import { formatTimestamp } from './clock.js';
import { type Exchange, sendJson } from './http-io.js';
import { parseKeepAlive } from './keep-alive.js';
import { capabilitiesOf, normalizeModelName } from './model-catalog.js';
import { fitPromptTokens } from './prompt-renderer.js';
import { planResponse } from './response-planner.js';
import type { SimulatorContext } from './simulator-context.js';
import type { SimulatedModelSpec } from './types.js';
import type { WireChatResponse } from './wire-types.js';

/** Ollama's default num_ctx (OLLAMA_CONTEXT_LENGTH) in v0.12. */
export const defaultNumCtx = 4096;

const defaultServerError = 'llama runner process has terminated: exit status 2';

export function modelNotFoundError(model: string): string {
  return `model '${model}' not found`;
}

/** num_ctx as the runner gets it: the default when unset, capped at the model's trained context. */
export function effectiveNumCtx(model: SimulatedModelSpec, requested: number | undefined): number {
  const numCtx = requested !== undefined && requested > 0 ? requested : defaultNumCtx;
  return Math.min(numCtx, model.contextLength);
}

export async function handleChat(
  context: SimulatorContext,
  exchange: Exchange,
  body: unknown,
): Promise<void> {
  const { response } = exchange;
  const parsed = parseChatRequest(body);
  if (!parsed.ok) return sendJson(response, parsed.status, { error: parsed.error });
  const request = parsed.value;

  const fault = context.faults.take({ stage: 'chat', model: request.model });
  if (fault?.kind === 'refuse') return exchange.destroy();
  if (fault?.kind === 'model-not-found')
    return sendJson(response, 404, { error: modelNotFoundError(request.model) });
  if (fault?.kind === 'http-500')
    return sendJson(response, 500, { error: fault.message ?? defaultServerError });

  const entry = context.findModel(request.model);
  if (!entry) return sendJson(response, 404, { error: modelNotFoundError(request.model) });
  const keepAlive = parseKeepAlive(request.keep_alive);
  if (!keepAlive.ok) return sendJson(response, keepAlive.status, { error: keepAlive.error });
  const options = readModelOptions(request.options);
  const bare = (doneReason: 'load' | 'unload'): WireChatResponse => ({
    model: request.model,
    created_at: formatTimestamp(),
    message: { role: 'assistant', content: '' },
    done: true,
    done_reason: doneReason,
  });

  if (request.messages.length === 0) {
    if (request.keep_alive !== undefined && keepAlive.value === 0) {
      entry.runtime.unload();
      return sendJson(response, 200, bare('unload'));
    }
    if (!options.ok) return sendJson(response, options.status, { error: options.error });
    await entry.runtime.whenReady(
      effectiveNumCtx(entry.spec, options.value.numCtx),
      keepAlive.value,
      exchange.signal,
    );
    return sendJson(response, 200, bare('load'));
  }

  const capabilities = capabilitiesOf(entry.spec);
  if (request.think !== undefined && request.think !== false && !capabilities.includes('thinking')) {
    return sendJson(response, 400, { error: `"${request.model}" does not support thinking` });
  }
  if (typeof request.think === 'string') {
    return sendJson(response, 400, {
      error: `think value "${request.think}" is not supported for this model`,
    });
  }
  if (request.tools && request.tools.length > 0 && !capabilities.includes('tools')) {
    const fullName = `registry.ollama.ai/library/${normalizeModelName(request.model)}`;
    return sendJson(response, 400, { error: `${fullName} does not support tools` });
  }
  if (!options.ok) return sendJson(response, options.status, { error: options.error });
  const format = request.format;
  if (format !== undefined && format !== 'json' && (typeof format !== 'object' || Array.isArray(format))) {
    const error = `invalid format: ${JSON.stringify(JSON.stringify(format))}; expected "json" or a valid JSON Schema object`;
    return sendJson(response, 500, { error });
  }

  const numCtx = effectiveNumCtx(entry.spec, options.value.numCtx);
  const { tokens } = fitPromptTokens(entry.spec, request.messages, request.tools, numCtx);
  const plan = planResponse({
    model: entry.spec,
    request,
    options: options.value,
    simulatorSeed: context.seed,
  });
  await runGeneration({
    context,
    entry,
    exchange,
    modelName: request.model,
    plan,
    promptTokens: tokens,
    numCtx,
    keepAliveMs: keepAlive.value,
    stream: request.stream ?? true,
    fault,
  });
}
