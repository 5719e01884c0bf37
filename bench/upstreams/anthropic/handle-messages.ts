/**
 * @module The simulated Anthropic API's request handling: authentication, routing, validation, faults,
 * simulated latency and the response itself. Check order follows the real service (auth, version
 * header, body, model, semantics), so the first error an adapter sees is the one production would give.
 */
import type { FaultController } from '../shared/faults.js';
import { isObject, type JsonObject } from '../shared/json-object.js';
import { planTimeline } from '../shared/latency.js';
import { PacedStream } from '../shared/paced-stream.js';
import { createRandom, hashString, type RandomSource, randomId } from '../shared/seeded-random.js';
import { type SimulatorExchange, sendJson } from '../shared/simulator-server.js';
import { sleep, sleepUntil } from '../shared/sleep.js';
import { countInput, countInputTokens, lastUserText } from './count-input.js';
import { encodeMessage, encodeStream, sseFrame } from './encode-message.js';
import {
  AnthropicApiError,
  errorBody,
  errorForFault,
  invalidRequest,
  overloadedEventBody,
} from './errors.js';
import { type AnthropicModelProfile, modelInfo, modelListBody } from './models.js';
import { planResponse } from './plan-response.js';
import type { AnthropicPromptCache } from './prompt-cache.js';
import { readModel, validateRequest } from './validate-request.js';

/** Everything a request may read or advance; one per simulator instance. */
export interface AnthropicContext {
  readonly apiKey: string;
  readonly models: Readonly<Record<string, AnthropicModelProfile>>;
  readonly speedFactor: number;
  readonly seed: number;
  /** Advances per request: ids and latency jitter. Content comes from a per-body seed instead. */
  readonly random: RandomSource;
  readonly cache: AnthropicPromptCache;
}

/** Events sent before an `error-event` fault strikes: message_start, content_block_start, ping. */
const DEFAULT_ERROR_AFTER_EVENTS = 3;

export async function handleAnthropic(
  exchange: SimulatorExchange,
  faults: FaultController,
  context: AnthropicContext,
): Promise<void> {
  const requestId = `req_011C${randomId(context.random, 20)}`;
  try {
    await route(exchange, faults, context, requestId);
  } catch (error) {
    if (!(error instanceof AnthropicApiError)) throw error;
    sendJson(exchange.response, error.status, errorBody(error.type, error.message, requestId), {
      'request-id': requestId,
      ...error.headers,
    });
  }
}

async function route(
  exchange: SimulatorExchange,
  faults: FaultController,
  context: AnthropicContext,
  requestId: string,
): Promise<void> {
  const { method, url, headers } = exchange;
  // SDK 1.x sends the key as `Authorization: Bearer <key>`; curl examples and older SDKs use `x-api-key`.
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
  const apiKey = headers['x-api-key'] ?? bearer;
  if (apiKey === undefined)
    throw new AnthropicApiError(401, 'authentication_error', 'x-api-key header is required');
  if (apiKey !== context.apiKey)
    throw new AnthropicApiError(401, 'authentication_error', 'invalid x-api-key');
  if (headers['anthropic-version'] === undefined)
    throw invalidRequest('anthropic-version: header is required');
  const ok = (body: unknown) => sendJson(exchange.response, 200, body, { 'request-id': requestId });

  if (method === 'GET' && url.pathname === '/v1/models') return ok(modelListBody(context.models));
  const modelPath = /^\/v1\/models\/([^/]+)$/.exec(url.pathname);
  if (method === 'GET' && modelPath) {
    const id = decodeURIComponent(modelPath[1] ?? '');
    const profile = context.models[id];
    if (!profile) throw new AnthropicApiError(404, 'not_found_error', `model: ${id}`);
    return ok(modelInfo(id, profile));
  }
  if (method === 'POST' && url.pathname === '/v1/messages/count_tokens') {
    const body = jsonBody(exchange);
    const profile = knownModel(context, readModel(body));
    const request = validateRequest({ max_tokens: profile.maxOutputTokens, ...body }, profile);
    return ok({ input_tokens: countInputTokens(request) });
  }
  if (method === 'POST' && url.pathname === '/v1/messages') {
    return createMessage(exchange, faults, context, requestId);
  }
  throw new AnthropicApiError(404, 'not_found_error', 'Not Found');
}

async function createMessage(
  exchange: SimulatorExchange,
  faults: FaultController,
  context: AnthropicContext,
  requestId: string,
): Promise<void> {
  const body = jsonBody(exchange);
  const profile = knownModel(context, readModel(body));
  const request = validateRequest(body, profile);
  const fault = faults.take(request.model, request.stream);
  if (fault?.kind === 'stall') await sleep(fault.ms, exchange.signal);
  const failure = fault && errorForFault(fault);
  if (failure) throw failure;

  const input = countInput(request, context.cache, profile.minCacheableTokens);
  // Content depends on the body only (not on `stream`), so both encodings of one request agree.
  const contentRandom = createRandom(
    hashString(JSON.stringify({ ...body, stream: undefined }), context.seed),
  );
  const plan = planResponse(request, lastUserText(request), contentRandom);
  const identity = { id: `msg_01${randomId(context.random, 22)}`, model: request.model };
  const timeline = planTimeline(profile, context.random, context.speedFactor);
  const offset = (tokens: number) =>
    tokens <= 0 ? timeline.firstTokenMs : timeline.tokenReadyMs(tokens - 1);

  if (!request.stream) {
    await sleepUntil(exchange.receivedAt, offset(plan.outputTokens), exchange.signal);
    if (exchange.signal.aborted) return;
    return sendJson(exchange.response, 200, encodeMessage(plan, identity, input), {
      'request-id': requestId,
    });
  }

  exchange.response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': requestId,
  });
  exchange.response.flushHeaders();
  const stream = new PacedStream(exchange, fault?.kind === 'cut-stream' ? fault.afterEvents : undefined);
  const errorAfter =
    fault?.kind === 'error-event'
      ? (fault.afterEvents ?? DEFAULT_ERROR_AFTER_EVENTS)
      : Number.POSITIVE_INFINITY;
  for (const event of encodeStream(plan, identity, input, contentRandom)) {
    const at = offset(event.afterTokens);
    if (stream.eventsSent >= errorAfter) {
      if (await stream.send(at, sseFrame('error', overloadedEventBody(requestId)))) stream.end();
      return;
    }
    if (!(await stream.send(at, sseFrame(event.event, event.data)))) return;
  }
  stream.end();
}

function jsonBody(exchange: SimulatorExchange): JsonObject {
  if (exchange.bodyIsInvalidJson)
    throw invalidRequest('There was an issue with the request body: invalid JSON');
  if (!isObject(exchange.body)) throw invalidRequest('Request body must be a JSON object');
  return exchange.body;
}

function knownModel(context: AnthropicContext, model: string): AnthropicModelProfile {
  const profile = context.models[model];
  if (!profile) throw new AnthropicApiError(404, 'not_found_error', `model: ${model}`);
  return profile;
}
