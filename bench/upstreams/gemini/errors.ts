/**
 * @module Google's error wire shape (`{"error":{"code","message","status","details"}}`) with the
 * statuses and messages the Generative Language API uses, and how injected faults become them.
 * `@google/genai` surfaces these as `ApiError` with `status` = the HTTP code and the JSON as message.
 */
import type { SimulatorFault } from '../shared/faults.js';
import type { FieldViolation } from './proto-reader.js';

export class GeminiApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
    readonly details: readonly unknown[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  get body(): unknown {
    const error = { code: this.code, message: this.message, status: this.status };
    return { error: this.details.length > 0 ? { ...error, details: this.details } : error };
  }
}

export function invalidArgument(message: string): GeminiApiError {
  return new GeminiApiError(400, 'INVALID_ARGUMENT', message);
}

/** Proto-JSON parse failures: all of them in one message, one field violation each. */
export function invalidPayload(violations: readonly FieldViolation[]): GeminiApiError {
  return new GeminiApiError(
    400,
    'INVALID_ARGUMENT',
    violations.map((entry) => entry.description).join('\n'),
    [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations }],
  );
}

export function invalidApiKey(): GeminiApiError {
  const message = 'API key not valid. Please pass a valid API key.';
  return new GeminiApiError(400, 'INVALID_ARGUMENT', message, [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
    { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
  ]);
}

export function missingApiKey(): GeminiApiError {
  return new GeminiApiError(
    403,
    'PERMISSION_DENIED',
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  );
}

export function modelNotFound(model: string, method: string): GeminiApiError {
  return new GeminiApiError(
    404,
    'NOT_FOUND',
    `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  );
}

export const UNAVAILABLE_MESSAGE = 'The model is overloaded. Please try again later.';

/** The HTTP error an up-front fault produces; stream faults and stalls return undefined. */
export function errorForFault(fault: SimulatorFault, model: string): GeminiApiError | undefined {
  switch (fault.kind) {
    case 'rate-limit': {
      const seconds = Math.ceil(fault.retryAfterSeconds ?? 1);
      return new GeminiApiError(
        429,
        'RESOURCE_EXHAUSTED',
        'You exceeded your current quota, please check your plan and billing details. For more information on this ' +
          'error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: ' +
          `generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: ${model}\n` +
          `Please retry in ${seconds}s.`,
        [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                quotaDimensions: { location: 'global', model },
                quotaValue: '10',
              },
            ],
          },
          {
            '@type': 'type.googleapis.com/google.rpc.Help',
            links: [
              {
                description: 'Learn more about Gemini API quotas',
                url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
              },
            ],
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` },
        ],
        { 'retry-after': String(seconds) },
      );
    }
    case 'overloaded':
      return new GeminiApiError(503, 'UNAVAILABLE', UNAVAILABLE_MESSAGE);
    case 'http-500':
      return new GeminiApiError(
        500,
        'INTERNAL',
        'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      );
    default:
      return undefined;
  }
}

/** The chunk the service sends when generation fails after the stream started. */
export function streamErrorChunk(): unknown {
  return { error: { code: 503, message: UNAVAILABLE_MESSAGE, status: 'UNAVAILABLE' } };
}
