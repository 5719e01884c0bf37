/**
 * @module providers/gemini
 * The Gemini adapter, on the official `@google/genai` SDK. Every call streams upstream
 * (`streamGenerateContent?alt=sse`); a non-streaming client request is the same events collected by
 * the caller. Translation lives in `gemini/request.ts` (ChatRequest → Gemini), `gemini/response.ts`
 * (chunks → ChatEvents), `gemini/json-schema.ts` (JSON Schema → Gemini's OpenAPI subset) and
 * `gemini/errors.ts` (failures → GatewayErrors); this file owns configuration, the SDK client and the
 * lifetime of one upstream request.
 *
 * SDK behaviour pinned here (checked against 2.32.0): it retries only when `httpOptions.retryOptions`
 * is set, which it never is (switchyard's attempt runner retries generically, and only before the first
 * byte); its default automatic continuation would silently re-request dropped streams and is turned off
 * per call; `config.abortSignal` is linked to the fetch's signal and stays armed while the body is read,
 * so aborting it stops the HTTP request, mid-stream included.
 */

import { GoogleGenAI } from '@google/genai';
import type { CloudProviderConfig } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import { toGeminiGatewayError } from './gemini/errors.js';
import { toGeminiRequest } from './gemini/request.js';
import { createGeminiEventTranslator } from './gemini/response.js';
import { type CachePriceRatios, costFromConfiguredPrice } from './pricing.js';
import type { ChatEvent, ProviderAdapter } from './provider.js';
import { startRequestDeadline } from './request-deadline.js';

/** Where the SDK sends requests when neither the environment nor the config names a base URL. */
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

export interface GeminiProviderOptions {
  /** The `gemini` section of the config: models and prices, default output budget, timeout, base URL. */
  config: CloudProviderConfig;
  /**
   * The environment to read `GEMINI_API_KEY` / `GOOGLE_API_KEY` and `GEMINI_BASE_URL` /
   * `GOOGLE_GEMINI_BASE_URL` from (injected, so tests do not touch `process.env`).
   */
  env: Record<string, string | undefined>;
  /** Replaces the global fetch for every upstream call (tests, proxies). */
  fetch?: typeof fetch;
}

/**
 * Gemini's implicit caching (on by default for Gemini 2.5 and newer) bills the prompt tokens it served
 * from its cache, `cachedContentTokenCount`, at a 90% discount, 0.1× the input price: the figure in
 * Google's context caching overview ("a 90% discount on cached tokens compared to standard input
 * tokens") and its price list (Gemini 2.5 Pro: $0.125 cached against $1.25 input per million), as of
 * 2026. It was 0.25× when implicit caching launched in May 2025; set `cache_read_per_million` on a
 * model whose price differs. Writes cost nothing extra, and Gemini reports no write count. Used for
 * models whose configured price sets no cache prices of its own.
 */
export const GEMINI_CACHE_PRICE_RATIOS: CachePriceRatios = { read: 0.1, write: 1 };

/** Why the adapter is disabled without a key: also its health message. */
export const GEMINI_MISSING_KEY_MESSAGE =
  'GEMINI_API_KEY (or GOOGLE_API_KEY) is not set — export it to use Gemini';

/** Creates the Gemini adapter. Without a key it is disabled: listed, but `chat()` refuses. */
export function createGeminiProvider(options: GeminiProviderOptions): ProviderAdapter {
  const { config, env } = options;
  const keyVariable = nonEmpty(env.GEMINI_API_KEY) ? 'GEMINI_API_KEY' : 'GOOGLE_API_KEY';
  const apiKey = nonEmpty(env[keyVariable]);
  const baseUrl =
    nonEmpty(env.GEMINI_BASE_URL) ??
    nonEmpty(env.GOOGLE_GEMINI_BASE_URL) ??
    config.base_url ??
    GEMINI_DEFAULT_BASE_URL;

  const client =
    apiKey === undefined
      ? undefined
      : new GoogleGenAI({
          apiKey,
          // Explicit, so that GOOGLE_GENAI_USE_VERTEXAI in the process environment cannot switch backends.
          vertexai: false,
          // Always set: without it the SDK reads GOOGLE_GEMINI_BASE_URL from process.env, not from `env`.
          httpOptions: {
            baseUrl,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          },
        });

  return {
    id: 'gemini',
    locality: 'cloud',
    disabledReason: client ? undefined : GEMINI_MISSING_KEY_MESSAGE,

    async listModels() {
      if (!client) return [];
      return config.models.map((model) => ({
        name: model.name,
        ...(model.context_length !== undefined ? { contextLength: model.context_length } : {}),
      }));
    },

    /**
     * Ready as soon as a key is set: every Gemini call that could check the key costs quota or adds a
     * round trip to start-up, so a wrong key shows up on the first request, as an `authentication` error.
     */
    async health() {
      if (!client) return { status: 'disabled', message: GEMINI_MISSING_KEY_MESSAGE };
      return { status: 'ready' };
    },

    async *chat(request, context): AsyncGenerator<ChatEvent> {
      if (!client || apiKey === undefined) {
        throw new GatewayError('provider_disabled', GEMINI_MISSING_KEY_MESSAGE, { provider: 'gemini' });
      }
      const { contents, config: generationConfig } = toGeminiRequest(request, {
        model: context.model,
        defaultMaxTokens: config.default_max_tokens,
      });

      // Our own controller, so that a consumer that stops iterating early also stops the upstream
      // body: the SDK's stream only releases its reader lock on return(), leaving the socket open.
      // It also carries the timeout: the SDK's own timer would hold each request for timeout_ms.
      const upstream = startRequestDeadline(context.signal, config.timeout_ms);

      const errorContext = {
        model: context.model,
        baseUrl,
        apiKey,
        keyVariable,
        timeoutMs: config.timeout_ms,
        streamOpened: false,
      };
      try {
        const stream = await client.models.generateContentStream({
          model: context.model,
          contents,
          config: { ...generationConfig, abortSignal: upstream.signal },
        });
        errorContext.streamOpened = true;
        const translator = createGeminiEventTranslator();
        for await (const chunk of stream) {
          yield* translator.push(chunk);
        }
        yield translator.finish();
      } catch (error) {
        throw toGeminiGatewayError(error, errorContext, context.signal.aborted);
      } finally {
        upstream.dispose();
        upstream.abort();
      }
    },

    costOf(model, usage) {
      return costFromConfiguredPrice(config.models, model, usage, GEMINI_CACHE_PRICE_RATIOS);
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
