/**
 * @module providers/anthropic/errors
 * What the Anthropic SDK throws, as GatewayErrors that say what to do next. The SDK throws an `APIError`
 * subclass per HTTP status, the same class with no status for an `error` event inside a 200 stream
 * (`overloaded_error` arrives that way too), `APIConnectionError`/`APIConnectionTimeoutError` when no
 * response came, and `APIUserAbortError` when our signal aborted. Messages never contain the API key:
 * Anthropic's own text is quoted only after the key is scrubbed from it.
 */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import { GatewayError, type GatewayErrorOptions } from '../../errors.js';

const provider = 'anthropic';

export interface AnthropicErrorContext {
  model: string;
  baseURL: string;
  /** Only used to scrub it from any upstream text quoted in a message. */
  apiKey: string;
  timeoutMs: number;
  /** True once the response stream started: failures then are interruptions, not connection failures. */
  streaming: boolean;
}

/** The message for an adapter without a key, shared by `disabledReason`, `health()` and `chat()`. */
export const MISSING_KEY_MESSAGE =
  'ANTHROPIC_API_KEY is not set — export it (or remove anthropic models from the config) to use Claude';

/** Classifies an error thrown by the SDK (or while reading its stream). GatewayErrors pass through. */
export function fromAnthropicError(error: unknown, context: AnthropicErrorContext): GatewayError {
  if (error instanceof GatewayError) return error;
  const make = (kind: GatewayError['kind'], message: string, options: GatewayErrorOptions = {}) =>
    new GatewayError(kind, message, { provider, cause: error, ...options });

  if (error instanceof APIUserAbortError) {
    return make('client_aborted', 'The request to Anthropic was aborted before it finished.');
  }
  if (error instanceof APIConnectionTimeoutError) {
    return make(
      'timeout',
      `Anthropic did not answer within ${context.timeoutMs} ms at ${context.baseURL} — retry, or raise anthropic.timeout_ms in the config.`,
    );
  }
  if (error instanceof APIConnectionError) {
    return make(
      'unreachable',
      `Anthropic API is not reachable at ${context.baseURL}${reasonOf(error)} — check network / ANTHROPIC_BASE_URL.`,
    );
  }
  if (error instanceof APIError) return fromStatus(error, context, make);
  if (context.streaming) {
    // A socket closed mid-body surfaces as fetch's TypeError ("terminated"), not as an SDK error.
    return make(
      'stream_interrupted',
      `Anthropic's stream for \`anthropic/${context.model}\` broke off mid-answer${reasonOf(error)}. Retry the request.`,
    );
  }
  return make(
    'upstream_error',
    `Calling Anthropic for \`anthropic/${context.model}\` failed${reasonOf(error)}. Retry; if it repeats, check ANTHROPIC_BASE_URL and switchyard's log.`,
  );
}

type Make = (kind: GatewayError['kind'], message: string, options?: GatewayErrorOptions) => GatewayError;

function fromStatus(error: APIError, context: AnthropicErrorContext, make: Make): GatewayError {
  const model = `\`anthropic/${context.model}\``;
  const said = upstreamText(error, context.apiKey);
  const quoted = said ? `: ${said}` : '';
  const status = error.status;

  if (status === undefined) {
    // An `event: error` inside a stream that had started with 200.
    if (error.type === 'overloaded_error') {
      return make(
        'overloaded',
        `Anthropic became overloaded while answering with ${model} — retry in a few seconds.`,
      );
    }
    return make(
      'stream_interrupted',
      `Anthropic's stream for ${model} failed mid-answer (${error.type ?? 'error event'}${quoted}). Retry the request.`,
    );
  }
  if (status === 400 || status === 422) {
    if (isPromptTooLong(said)) {
      return make(
        'context_overflow',
        `The prompt is too long for ${model}${quoted}. Shorten the conversation, or use a model with a larger context window.`,
        { code: 'context_length_exceeded', param: 'messages' },
      );
    }
    return make(
      'invalid_request',
      `Anthropic rejected the request for ${model} (${status})${quoted}. Fix it and send it again.`,
    );
  }
  if (status === 401) {
    // With a custom base URL the key may never have arrived: switchyard does not send it on across a
    // redirect to another host (http/redirect.ts), and the answer from there is this same 401.
    const viaGateway = context.baseURL.startsWith('https://api.anthropic.com')
      ? ''
      : ` If ANTHROPIC_BASE_URL (${context.baseURL}) redirects to another host, the key is not sent there: point it at the final address.`;
    return make(
      'authentication',
      `Anthropic rejected ANTHROPIC_API_KEY (401) — check the key (console.anthropic.com → API keys), export the right one and restart switchyard.${viaGateway}`,
    );
  }
  if (status === 403) {
    return make(
      'authentication',
      `Anthropic refused ANTHROPIC_API_KEY access to ${model} (403)${quoted} — check the key's workspace and permissions.`,
      { status: 403, code: 'permission_denied' },
    );
  }
  if (status === 402) {
    return make(
      'authentication',
      `Anthropic refused the request for billing reasons (402)${quoted} — check the plan and credit balance of the account behind ANTHROPIC_API_KEY.`,
      { status: 402, code: 'insufficient_quota' },
    );
  }
  if (status === 404) {
    return make(
      'model_not_found',
      `Anthropic does not know the model ${model} (404) — list models at /v1/models or fix the model id (in the request, or under anthropic.models in the config).`,
      { param: 'model', code: 'model_not_found' },
    );
  }
  if (status === 408) {
    return make('timeout', `Anthropic timed out answering with ${model} (408) — retry the request.`);
  }
  if (status === 413) {
    return make(
      'payload_too_large',
      `The request is too large for Anthropic (413)${quoted} — send fewer or smaller images and messages.`,
    );
  }
  if (status === 429) {
    const retryAfterSeconds = retryAfterOf(error.headers);
    const wait = retryAfterSeconds !== undefined ? `retry after ${retryAfterSeconds} s` : 'retry shortly';
    return make(
      'rate_limited',
      `Anthropic's rate limit for ${model} was reached (429) — ${wait}, or send fewer requests.`,
      retryAfterSeconds !== undefined ? { retryAfterSeconds } : {},
    );
  }
  if (status === 529 || error.type === 'overloaded_error') {
    // 529 is Anthropic's own "overloaded" status; OpenAI clients know 503 for it.
    return make(
      'overloaded',
      `Anthropic is overloaded (${status}) — retry in a few seconds, or use another model.`,
      {
        status: 503,
      },
    );
  }
  if (status >= 500) {
    return make(
      'upstream_error',
      `Anthropic failed with ${status}${quoted} — retry; status.anthropic.com shows ongoing incidents.`,
      { status },
    );
  }
  return make('invalid_request', `Anthropic rejected the request for ${model} (${status})${quoted}.`, {
    status,
  });
}

/** Anthropic's words: "prompt is too long: 208310 tokens > 200000 maximum", or similar. */
function isPromptTooLong(text: string): boolean {
  return /prompt is too long|too many (input )?tokens|exceeds? the (model's )?context|context (window|length)/i.test(
    text,
  );
}

/** Anthropic's own error message (from the body), with the key scrubbed in case it was ever echoed. */
function upstreamText(error: APIError, apiKey: string): string {
  const text = error.apiMessage ?? '';
  return apiKey ? text.split(apiKey).join('[redacted]') : text;
}

/** `retry-after` in seconds (Anthropic sends an integer), or an HTTP date. */
function retryAfterOf(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** " (ECONNREFUSED)" from a fetch failure's cause chain, when there is one. */
function reasonOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') return ` (${code})`;
    current = current.cause;
  }
  if (error instanceof Error && !(error instanceof APIError) && error.message) return ` (${error.message})`;
  return '';
}
