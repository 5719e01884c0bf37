/**
 * @module errors
 * The one error type of switchyard and its one wire shape. Every failure, whether a bad request, an
 * upstream that is down or a stream cut mid-way, becomes a GatewayError, and `onError` turns it into
 * the OpenAI error body `{ error: { message, type, param, code } }` with the status the OpenAI SDKs
 * expect. Messages say what to do next.
 */

/** What went wrong, in terms generic code can act on (escalate, retry, count) without knowing the provider. */
export type ErrorKind =
  | 'invalid_request'
  | 'payload_too_large'
  | 'model_not_found'
  | 'authentication'
  | 'provider_disabled'
  | 'rate_limited'
  | 'overloaded'
  | 'unreachable'
  | 'upstream_error'
  | 'context_overflow'
  | 'stream_interrupted'
  | 'timeout'
  | 'client_aborted'
  | 'internal';

interface KindWire {
  status: number;
  type: string;
  /** Worth another attempt at the same upstream (after a backoff), if nothing was sent to the client yet. */
  retryable: boolean;
}

const wireByKind: Record<ErrorKind, KindWire> = {
  invalid_request: { status: 400, type: 'invalid_request_error', retryable: false },
  payload_too_large: { status: 413, type: 'invalid_request_error', retryable: false },
  model_not_found: { status: 404, type: 'invalid_request_error', retryable: false },
  authentication: { status: 401, type: 'authentication_error', retryable: false },
  provider_disabled: { status: 503, type: 'service_unavailable', retryable: false },
  rate_limited: { status: 429, type: 'rate_limit_error', retryable: true },
  overloaded: { status: 503, type: 'service_unavailable', retryable: true },
  unreachable: { status: 503, type: 'service_unavailable', retryable: false },
  upstream_error: { status: 502, type: 'api_error', retryable: true },
  context_overflow: { status: 400, type: 'invalid_request_error', retryable: false },
  stream_interrupted: { status: 502, type: 'api_error', retryable: false },
  timeout: { status: 408, type: 'timeout', retryable: false },
  client_aborted: { status: 499, type: 'client_closed_request', retryable: false },
  internal: { status: 500, type: 'server_error', retryable: false },
};

export interface GatewayErrorOptions {
  /** The request field at fault, as the OpenAI SDK reports it (`messages.0.content`). */
  param?: string | null;
  /** Machine-readable code (`model_not_found`, `context_length_exceeded`, …); defaults to the kind. */
  code?: string;
  /** Overrides the status implied by the kind (an upstream 5xx passed on as-is, say). */
  status?: number;
  /** Seconds the upstream asked us to wait (`retry-after`), passed on to the client. */
  retryAfterSeconds?: number;
  /** Which provider raised it, for logs, metrics and the profile row. */
  provider?: string;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly provider: string | undefined;

  constructor(kind: ErrorKind, message: string, options: GatewayErrorOptions = {}) {
    super(message, { cause: options.cause });
    const wire = wireByKind[kind];
    this.name = 'GatewayError';
    this.kind = kind;
    this.status = options.status ?? wire.status;
    this.type = wire.type;
    this.code = options.code ?? kind;
    this.param = options.param ?? null;
    this.retryable = wire.retryable;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.provider = options.provider;
  }
}

/** The OpenAI error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function toErrorBody(error: GatewayError): OpenAIErrorBody {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

/** Anything thrown becomes a GatewayError; unknown errors are internal and keep their message out of the body. */
export function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (isAbortError(error)) {
    return new GatewayError('client_aborted', 'The client closed the request before it finished.', {
      cause: error,
    });
  }
  return new GatewayError(
    'internal',
    'switchyard hit an internal error; the details are in its log. Retry, and report it if it repeats.',
    { cause: error },
  );
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'APIUserAbortError');
}

export const invalidRequest = (message: string, param: string | null = null, code = 'invalid_request') =>
  new GatewayError('invalid_request', message, { param, code });
