/**
 * @module Anthropic's error wire shape and statuses, and how injected faults become Anthropic errors.
 * The SDK picks its error class from the status (400 BadRequestError … 529 OverloadedError), so the
 * status/type pairs here are the contract the Claude adapter's error mapping is tested against.
 */
import type { SimulatorFault } from '../shared/faults.js';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

/** Thrown inside the simulator; the handler turns it into the JSON error response. */
export class AnthropicApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: AnthropicErrorType,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function invalidRequest(message: string): AnthropicApiError {
  return new AnthropicApiError(400, 'invalid_request_error', message);
}

/** `{"type":"error","error":{"type":…,"message":…},"request_id":…}`, as in the API's error docs. */
export function errorBody(type: AnthropicErrorType, message: string, requestId: string): unknown {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

/** What the API streams as `event: error` when it fails after the 200 (typically overload). */
export function overloadedEventBody(requestId: string): unknown {
  return errorBody('overloaded_error', 'Overloaded', requestId);
}

/** The HTTP error an up-front fault produces; stream faults and stalls return undefined. */
export function errorForFault(fault: SimulatorFault): AnthropicApiError | undefined {
  switch (fault.kind) {
    case 'rate-limit': {
      const retryAfter = String(Math.ceil(fault.retryAfterSeconds ?? 1));
      return new AnthropicApiError(
        429,
        'rate_limit_error',
        'This request would exceed the rate limit for your organization of 50 requests per minute. ' +
          'For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response ' +
          'headers for current usage. Please reduce the prompt length or the maximum tokens requested, ' +
          'or try again later.',
        {
          'retry-after': retryAfter,
          'anthropic-ratelimit-requests-limit': '50',
          'anthropic-ratelimit-requests-remaining': '0',
          'anthropic-ratelimit-requests-reset': new Date(
            Date.now() + Number(retryAfter) * 1000,
          ).toISOString(),
        },
      );
    }
    case 'overloaded':
      return new AnthropicApiError(529, 'overloaded_error', 'Overloaded');
    case 'http-500':
      return new AnthropicApiError(500, 'api_error', 'Internal server error');
    default:
      return undefined;
  }
}
