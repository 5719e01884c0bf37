/**
 * @module providers/anthropic
 * The Claude adapter: ChatRequest → Messages API (always streamed) → ChatEvents, through the official
 * SDK. The SDK is built with `maxRetries: 0`: retries happen once, generically, in switchyard's attempt
 * runner, which knows whether anything reached the client yet. The request translation, the event
 * translation and the error mapping live in `anthropic/`; this file wires them to the SDK client.
 */

import Anthropic from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { AnthropicProviderConfig } from '../config/schema.js';
import { GatewayError, isAbortError } from '../errors.js';
import type { ChatRequest } from '../openai/chat-request.js';
import { fromAnthropicError, MISSING_KEY_MESSAGE } from './anthropic/errors.js';
import { translateAnthropicEvents } from './anthropic/events.js';
import { type AnthropicRequestBody, toAnthropicRequest } from './anthropic/request.js';
import { type CachePriceRatios, costFromConfiguredPrice } from './pricing.js';
import type {
  ChatCallContext,
  ChatEvent,
  ProviderAdapter,
  ProviderHealth,
  ProviderModel,
} from './provider.js';
import { startRequestDeadline } from './request-deadline.js';

export { MISSING_KEY_MESSAGE as ANTHROPIC_MISSING_KEY_MESSAGE } from './anthropic/errors.js';

/**
 * Anthropic's published prompt-caching prices: a cache read costs 0.1× the model's input price, a write
 * to the 5-minute cache 1.25× (the 1-hour cache, 2×, is never asked for: breakpoints carry no `ttl`).
 * Used for models whose configured price sets no cache prices of its own.
 */
export const ANTHROPIC_CACHE_PRICE_RATIOS: CachePriceRatios = { read: 0.1, write: 1.25 };

/** Where the SDK sends requests when neither ANTHROPIC_BASE_URL nor `anthropic.base_url` is set. */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicProviderOptions {
  /**
   * The `anthropic` section of the config: models with prices, default_max_tokens, timeout_ms, base_url,
   * prompt_caching.
   */
  config: AnthropicProviderConfig;
  /** Reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL (injected, so that tests do not touch process.env). */
  env: Record<string, string | undefined>;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

/** Creates the `anthropic` adapter. Without ANTHROPIC_API_KEY it is disabled, and says how to enable it. */
export function createAnthropicProvider(options: AnthropicProviderOptions): ProviderAdapter {
  const { config } = options;
  const apiKey = options.env.ANTHROPIC_API_KEY?.trim() || undefined;
  // Passed explicitly even when it is the default: left undefined, the SDK would read process.env itself.
  const baseURL = options.env.ANTHROPIC_BASE_URL?.trim() || config.base_url || ANTHROPIC_DEFAULT_BASE_URL;
  const client = apiKey
    ? new Anthropic({
        apiKey,
        baseURL,
        maxRetries: 0,
        timeout: config.timeout_ms,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })
    : undefined;
  // Models that answered 400 to temperature/top_p (deprecated for the newest Claude models): they are
  // not sent to them again for the life of the process.
  const samplingRejected = new Set<string>();

  async function openStream(
    anthropic: Anthropic,
    body: AnthropicRequestBody,
    signal: AbortSignal,
  ): Promise<AsyncIterable<RawMessageStreamEvent>> {
    try {
      return await anthropic.messages.create(body, { signal });
    } catch (error) {
      if (!(error instanceof Anthropic.BadRequestError) || !rejectsSampling(error, body)) throw error;
      samplingRejected.add(body.model);
      const { temperature: _temperature, top_p: _topP, ...withoutSampling } = body;
      return await anthropic.messages.create(withoutSampling, { signal });
    }
  }

  async function* chat(request: ChatRequest, context: ChatCallContext): AsyncGenerator<ChatEvent> {
    if (!client || !apiKey) {
      throw new GatewayError('provider_disabled', MISSING_KEY_MESSAGE, { provider: 'anthropic' });
    }
    const { body, outputToolName } = toAnthropicRequest(request, {
      model: context.model,
      defaultMaxTokens: config.default_max_tokens,
      sendSampling: !samplingRejected.has(context.model),
      promptCaching: config.prompt_caching,
    });
    // The SDK's own timeout only covers the wait for response headers; this one also bounds a stream
    // that stalls half-way.
    const deadline = startRequestDeadline(context.signal, config.timeout_ms);
    const signal = deadline.signal;
    const errorContext = {
      model: context.model,
      baseURL,
      apiKey,
      timeoutMs: config.timeout_ms,
      streaming: false,
    };
    try {
      const events = await openStream(client, body, signal);
      errorContext.streaming = true;
      const translated = translateAnthropicEvents(events, {
        model: context.model,
        ...(outputToolName ? { outputToolName } : {}),
      });
      for await (const event of translated) {
        // The SDK keeps yielding the events it had already read after an abort: the caller wants no more.
        if (signal.aborted) throw signal.reason;
        yield event;
      }
    } catch (error) {
      // On abort the SDK's stream ends quietly instead of throwing, which reads as a cut stream: the
      // signals say what really happened.
      if (context.signal.aborted) throw abortReason(context.signal, error);
      if (deadline.expired()) {
        throw new GatewayError(
          'timeout',
          `Anthropic did not finish answering with \`anthropic/${context.model}\` within ${config.timeout_ms} ms — retry, or raise anthropic.timeout_ms in the config.`,
          { provider: 'anthropic', cause: error },
        );
      }
      throw fromAnthropicError(error, errorContext);
    } finally {
      deadline.dispose();
    }
  }

  return {
    id: 'anthropic',
    locality: 'cloud',
    disabledReason: apiKey ? undefined : MISSING_KEY_MESSAGE,
    async listModels(): Promise<ProviderModel[]> {
      if (!apiKey) return [];
      return config.models.map((model) => ({
        name: model.name,
        ...(model.context_length !== undefined ? { contextLength: model.context_length } : {}),
      }));
    },
    // No network probe: Anthropic has no free health endpoint, and GET /v1/models would only prove the
    // key valid at start-up. A bad key or an outage shows on the first request, with its own message.
    async health(): Promise<ProviderHealth> {
      return apiKey ? { status: 'ready' } : { status: 'disabled', message: MISSING_KEY_MESSAGE };
    },
    chat,
    costOf(model, usage) {
      return costFromConfiguredPrice(config.models, model, usage, ANTHROPIC_CACHE_PRICE_RATIOS);
    },
  };
}

/** True for Anthropic's 400 about sampling parameters ("`temperature` is deprecated for this model"). */
function rejectsSampling(
  error: InstanceType<typeof Anthropic.BadRequestError>,
  body: AnthropicRequestBody,
): boolean {
  const sentSampling = body.temperature !== undefined || body.top_p !== undefined;
  return sentSampling && /\b(temperature|top_p)\b/.test(error.apiMessage ?? error.message);
}

/** What to throw when the caller aborted: its own reason (a deadline, a disconnect), else an AbortError. */
function abortReason(signal: AbortSignal, error: unknown): unknown {
  if (isAbortError(error)) return error;
  if (signal.reason instanceof Error) return signal.reason;
  return new DOMException('The request to Anthropic was aborted.', 'AbortError');
}
