/**
 * @module The simulated Generative Language API's request handling: API key, routing, proto parsing,
 * model lookup, semantic checks, faults, simulated latency and the response. `streamGenerateContent`
 * with `alt=sse` frames each chunk as `data: <json>\r\n\r\n` like the real service; without it the
 * chunks form one JSON array, as the service's default streaming format does.
 */
import type { FaultController } from '../shared/faults.js';
import { planTimeline } from '../shared/latency.js';
import { PacedStream } from '../shared/paced-stream.js';
import { PromptCache } from '../shared/prompt-cache.js';
import { createRandom, hashString, type RandomSource, randomId } from '../shared/seeded-random.js';
import { type SimulatorExchange, sendJson } from '../shared/simulator-server.js';
import { sleep, sleepUntil } from '../shared/sleep.js';
import { checkRequest } from './check-request.js';
import { countPrompt, lastUserText } from './count-prompt.js';
import { encodeChunks, encodeResponse } from './encode-response.js';
import {
  errorForFault,
  GeminiApiError,
  invalidApiKey,
  invalidArgument,
  invalidPayload,
  missingApiKey,
  modelNotFound,
  streamErrorChunk,
} from './errors.js';
import { type GeminiModelProfile, modelListBody, modelResource } from './models.js';
import { planCandidate } from './plan-response.js';
import { type MessageDefinition, ProtoReader } from './proto-reader.js';
import type { GenerateContentRequest } from './request-types.js';
import { COUNT_TOKENS_REQUEST, GENERATE_CONTENT_REQUEST } from './wire-definitions.js';

export interface GeminiContext {
  readonly apiKey: string;
  readonly models: Readonly<Record<string, GeminiModelProfile>>;
  readonly speedFactor: number;
  readonly seed: number;
  /** Advances per request: response ids and latency jitter. Content comes from a per-body seed. */
  readonly random: RandomSource;
  readonly cache: PromptCache;
}

const JSON_TYPE = { 'content-type': 'application/json; charset=UTF-8' };
/** Chunks sent before an `error-event` fault strikes. */
const DEFAULT_ERROR_AFTER_CHUNKS = 1;
const MODEL_METHOD = /^\/v1beta\/models\/([^/:]+):([A-Za-z]+)$/;

export async function handleGemini(
  exchange: SimulatorExchange,
  faults: FaultController,
  context: GeminiContext,
): Promise<void> {
  try {
    await route(exchange, faults, context);
  } catch (error) {
    if (!(error instanceof GeminiApiError)) throw error;
    sendJson(exchange.response, error.code, error.body, { ...JSON_TYPE, ...error.headers });
  }
}

async function route(
  exchange: SimulatorExchange,
  faults: FaultController,
  context: GeminiContext,
): Promise<void> {
  const { method, url, headers } = exchange;
  const header = headers['x-goog-api-key'];
  const apiKey = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('key') ?? undefined;
  if (apiKey === undefined) throw missingApiKey();
  if (apiKey !== context.apiKey) throw invalidApiKey();
  const ok = (body: unknown) => sendJson(exchange.response, 200, body, JSON_TYPE);

  if (method === 'GET' && url.pathname === '/v1beta/models') return ok(modelListBody(context.models));
  const single = /^\/v1beta\/models\/([^/:]+)$/.exec(url.pathname);
  if (method === 'GET' && single) {
    const id = decodeURIComponent(single[1] ?? '');
    const profile = context.models[id];
    if (!profile) throw modelNotFound(id, 'get');
    return ok(modelResource(id, profile));
  }
  const call = MODEL_METHOD.exec(url.pathname);
  if (method === 'POST' && call) {
    const model = decodeURIComponent(call[1] ?? '');
    const action = call[2] ?? '';
    if (action === 'countTokens') return ok(countTokens(exchange, model, context));
    if (action === 'generateContent' || action === 'streamGenerateContent') {
      return generate(exchange, faults, context, model, action);
    }
  }
  throw new GeminiApiError(404, 'NOT_FOUND', `Method not found: ${method} ${url.pathname}`);
}

function readBody(exchange: SimulatorExchange, definition: MessageDefinition): Record<string, unknown> {
  if (exchange.bodyIsInvalidJson) throw invalidArgument('Invalid JSON payload received. Unexpected token.');
  const reader = new ProtoReader();
  const body = reader.message(exchange.body ?? {}, '', definition) ?? {};
  if (reader.violations.length > 0) throw invalidPayload(reader.violations);
  return body;
}

function knownModel(context: GeminiContext, model: string, method: string): GeminiModelProfile {
  const profile = context.models[model];
  if (!profile) throw modelNotFound(model, method);
  return profile;
}

function countTokens(exchange: SimulatorExchange, model: string, context: GeminiContext): unknown {
  const body = readBody(exchange, COUNT_TOKENS_REQUEST);
  knownModel(context, model, 'countTokens');
  const request = (body.generateContentRequest ?? { contents: body.contents }) as GenerateContentRequest;
  const usage = countPrompt(request, model, new PromptCache(), Number.POSITIVE_INFINITY);
  return { totalTokens: usage.promptTokenCount, promptTokensDetails: usage.promptTokensDetails };
}

async function generate(
  exchange: SimulatorExchange,
  faults: FaultController,
  context: GeminiContext,
  model: string,
  action: 'generateContent' | 'streamGenerateContent',
): Promise<void> {
  // The proto reader has checked every field this type promises.
  const request = readBody(exchange, GENERATE_CONTENT_REQUEST) as GenerateContentRequest;
  const profile = knownModel(context, model, action);
  checkRequest(request, profile);
  const streaming = action === 'streamGenerateContent';
  const fault = faults.take(model, streaming);
  if (fault?.kind === 'stall') await sleep(fault.ms, exchange.signal);
  const failure = fault && errorForFault(fault, model);
  if (failure) throw failure;

  const prompt = countPrompt(request, model, context.cache, profile.minCacheableTokens);
  const contentRandom = createRandom(hashString(JSON.stringify(exchange.body), context.seed));
  const userText = lastUserText(request);
  const count = streaming ? 1 : Math.max(1, request.generationConfig?.candidateCount ?? 1);
  const plans = Array.from({ length: count }, () => planCandidate(request, profile, userText, contentRandom));
  const identity = { modelVersion: model, responseId: randomId(context.random, 23) };
  const timeline = planTimeline(profile, context.random, context.speedFactor);
  const offset = (tokens: number) =>
    tokens <= 0 ? timeline.firstTokenMs : timeline.tokenReadyMs(tokens - 1);

  if (!streaming) {
    const tokens = Math.max(...plans.map((plan) => plan.thoughtTokens + plan.visibleTokens));
    await sleepUntil(exchange.receivedAt, offset(tokens), exchange.signal);
    if (exchange.signal.aborted) return;
    return sendJson(exchange.response, 200, encodeResponse(plans, prompt, identity), JSON_TYPE);
  }

  const sse = exchange.url.searchParams.get('alt') === 'sse';
  exchange.response.writeHead(200, sse ? { 'content-type': 'text/event-stream' } : JSON_TYPE);
  exchange.response.flushHeaders();
  const stream = new PacedStream(exchange, fault?.kind === 'cut-stream' ? fault.afterEvents : undefined);
  const frame = (data: unknown) => {
    const json = JSON.stringify(data);
    if (sse) return `data: ${json}\r\n\r\n`;
    return stream.eventsSent === 0 ? `[${json}` : `,\r\n${json}`;
  };
  const errorAfter =
    fault?.kind === 'error-event'
      ? (fault.afterEvents ?? DEFAULT_ERROR_AFTER_CHUNKS)
      : Number.POSITIVE_INFINITY;
  const [plan] = plans;
  if (!plan) return;
  for (const chunk of encodeChunks(plan, prompt, identity, profile.tokensPerChunk)) {
    const at = offset(chunk.afterTokens);
    if (stream.eventsSent >= errorAfter) {
      if (await stream.send(at, frame(streamErrorChunk()))) stream.end(sse ? undefined : ']');
      return;
    }
    if (!(await stream.send(at, frame(chunk.data)))) return;
  }
  stream.end(sse ? undefined : ']');
}
