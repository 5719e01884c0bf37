/**
 * @module providers/gemini/errors
 * Failures of a Gemini call → GatewayErrors that generic code can act on. The SDK throws `ApiError`
 * with the HTTP status and, as its message, the JSON error body (`{error: {code, message, status,
 * details}}`), or `got status: N. {…}` when the error arrives inside an open stream. It does not expose
 * response headers, so the wait a 429 asks for is read from the body's `google.rpc.RetryInfo`
 * (`retryDelay: "7s"`), which is where Gemini puts it. Every message is scrubbed of the API key.
 */
import { ApiError } from '@google/genai';
import { GatewayError, type GatewayErrorOptions, isAbortError } from '../../errors.js';

export interface GeminiErrorContext {
  model: string;
  baseUrl: string;
  apiKey: string;
  /** The variable the key came from, named in authentication errors. */
  keyVariable: string;
  timeoutMs: number;
  /** The response headers had arrived: a failure now cuts an answer that has begun. */
  streamOpened: boolean;
}

interface GoogleErrorBody {
  message?: string;
  status?: string;
  reasons: string[];
  retryDelaySeconds?: number;
}

const provider = 'gemini';

/**
 * Maps anything a Gemini call threw. Returns (does not throw) the error to throw: a GatewayError, or
 * the original error for a client abort, which callers recognise as such and which must stay one.
 */
export function toGeminiGatewayError(error: unknown, context: GeminiErrorContext, aborted: boolean): unknown {
  if (error instanceof GatewayError) return error;
  if (aborted) return error;
  const redact = (text: string) => (context.apiKey ? text.replaceAll(context.apiKey, '[redacted]') : text);
  const options = (extra: GatewayErrorOptions = {}): GatewayErrorOptions => ({
    provider,
    cause: error,
    ...extra,
  });

  if (error instanceof ApiError) return fromApiError(error, context, redact, options);

  if (isAbortError(error)) {
    // Not the client's abort: the SDK's own deadline (`httpOptions.timeout`) fired.
    return new GatewayError(
      'timeout',
      `Gemini did not finish within ${context.timeoutMs} ms (gemini.timeout_ms). Raise gemini.timeout_ms, or ask for fewer output tokens.`,
      options(),
    );
  }

  const message = error instanceof Error ? redact(error.message) : 'unknown error';
  if (context.streamOpened) {
    return new GatewayError(
      'stream_interrupted',
      `The connection to Gemini broke while the answer was streaming (${message}). Retry the request.`,
      options(),
    );
  }
  if (isNetworkError(error)) {
    return new GatewayError(
      'unreachable',
      `Gemini API is not reachable at ${context.baseUrl} (${networkCode(error) ?? message}) — check network / GEMINI_BASE_URL.`,
      options(),
    );
  }
  return new GatewayError(
    'upstream_error',
    `The Gemini call failed before it started (${message}). Retry; if it repeats, check GEMINI_BASE_URL points at the Gemini API.`,
    options(),
  );
}

function fromApiError(
  error: ApiError,
  context: GeminiErrorContext,
  redact: (text: string) => string,
  options: (extra?: GatewayErrorOptions) => GatewayErrorOptions,
): GatewayError {
  const body = parseBody(error.message);
  const upstream = redact(body.message ?? error.message).trim();
  const said = upstream ? ` Gemini said: ${upstream}` : '';
  const status = error.status;

  const invalidKey =
    body.reasons.includes('API_KEY_INVALID') || /api key (not valid|expired|invalid)/i.test(upstream);
  if (invalidKey || status === 401) {
    // With a custom base URL the key may never have arrived: switchyard does not send it on across a
    // redirect to another host (http/redirect.ts).
    const viaGateway = context.baseUrl.startsWith('https://generativelanguage.googleapis.com')
      ? ''
      : ` If GEMINI_BASE_URL (${context.baseUrl}) redirects to another host, the key is not sent there: point it at the final address.`;
    return new GatewayError(
      'authentication',
      `Gemini rejected ${context.keyVariable} — check the key (create one at https://aistudio.google.com/apikey) and export it again.${viaGateway}${said}`,
      options({ status: 401 }),
    );
  }
  if (status === 403) {
    return new GatewayError(
      'authentication',
      `Gemini refused ${context.keyVariable} for this request (403) — check that the key's project has the Generative Language API enabled and may use \`${context.model}\`.${said}`,
      options({ status: 403, code: 'permission_denied' }),
    );
  }
  if (status === 404) {
    return new GatewayError(
      'model_not_found',
      `\`gemini/${context.model}\` is not a Gemini model the API serves — pick one from GET /v1/models or fix the name in the gemini.models config.${said}`,
      options({ code: 'model_not_found', param: 'model' }),
    );
  }
  if (status === 429) {
    const retryAfterSeconds = body.retryDelaySeconds ?? retryHintFromText(upstream);
    const wait = retryAfterSeconds === undefined ? 'a moment' : `${retryAfterSeconds}s`;
    return new GatewayError(
      'rate_limited',
      `Gemini rate limit or quota exceeded — retry after ${wait}, or check the key's quota at https://aistudio.google.com.${said}`,
      options(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    );
  }
  if (status === 413) {
    return new GatewayError(
      'payload_too_large',
      `Gemini refused the request as too large — send fewer or smaller images or less text.${said}`,
      options(),
    );
  }
  if (status === 408) {
    return new GatewayError(
      'timeout',
      `Gemini timed out answering with \`${context.model}\` (408) — retry the request.${said}`,
      options(),
    );
  }
  if (status >= 400 && status < 500) {
    if (/token count|exceeds the maximum number of tokens|context (window|length)|too long/i.test(upstream)) {
      return new GatewayError(
        'context_overflow',
        `The conversation is longer than \`${context.model}\`'s context window — shorten it or pick a model with a larger window.${said}`,
        options({ code: 'context_length_exceeded', param: 'messages' }),
      );
    }
    return new GatewayError(
      'invalid_request',
      `Gemini rejected the request (${status}${body.status ? ` ${body.status}` : ''}) — fix what it names and send it again.${said}`,
      options({ code: 'invalid_request', status }),
    );
  }
  if (status === 503) {
    return new GatewayError(
      'overloaded',
      `Gemini is overloaded (503) — retry shortly, or choose another model.${said}`,
      options(),
    );
  }
  return new GatewayError(
    'upstream_error',
    `Gemini failed with ${status}${body.status ? ` ${body.status}` : ''} — retry; https://aistudio.google.com/status shows outages.${said}`,
    // Passed on as-is, as the other cloud adapters do: a 500 or 504 tells the client more than a 502.
    options({ status }),
  );
}

/** Reads the Google error body out of the ApiError message, wherever the SDK put it in the text. */
function parseBody(message: string): GoogleErrorBody {
  const start = message.indexOf('{');
  if (start === -1) return { reasons: [] };
  let json: unknown;
  try {
    json = JSON.parse(message.slice(start));
  } catch {
    return { reasons: [] };
  }
  const error = (json as { error?: unknown } | null)?.error;
  if (typeof error !== 'object' || error === null) return { reasons: [] };
  const fields = error as { message?: unknown; status?: unknown; details?: unknown };
  const body: GoogleErrorBody = { reasons: [] };
  if (typeof fields.message === 'string') body.message = fields.message;
  if (typeof fields.status === 'string') body.status = fields.status;
  for (const detail of Array.isArray(fields.details) ? fields.details : []) {
    if (typeof detail !== 'object' || detail === null) continue;
    const { reason, retryDelay } = detail as { reason?: unknown; retryDelay?: unknown };
    if (typeof reason === 'string') body.reasons.push(reason);
    if (typeof retryDelay === 'string') {
      const seconds = parseDuration(retryDelay);
      if (seconds !== undefined) body.retryDelaySeconds = seconds;
    }
  }
  return body;
}

/** A protobuf Duration in JSON ("7s", "0.5s", "1.250s"), rounded up to whole seconds. */
function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(text.trim());
  return match?.[1] === undefined ? undefined : Math.ceil(Number(match[1]));
}

/** Quota errors also say "Please retry in 7.2s." in prose; used when the structured detail is missing. */
function retryHintFromText(text: string): number | undefined {
  const match = /retry in (\d+(?:\.\d+)?)\s*s/i.exec(text);
  return match?.[1] === undefined ? undefined : Math.ceil(Number(match[1]));
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** Node's fetch reports connection failures as `TypeError: fetch failed` with the socket error as cause. */
function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return true;
  const code = networkCode(error);
  return code !== undefined && networkCodes.has(code);
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}
