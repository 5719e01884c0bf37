/**
 * @module providers/ollama/errors
 * What the official `ollama` client throws, as GatewayErrors that say how to fix the problem. The client
 * throws a `ResponseError` with `status_code` for HTTP errors, a plain Error with the server's message for
 * an `{"error":…}` line mid-stream, and the transport's socket errors (`ECONNREFUSED` when nothing listens).
 */
import { GatewayError, isAbortError } from '../../errors.js';

const provider = 'ollama';

export function ollamaUnreachable(host: string, cause?: unknown): GatewayError {
  return new GatewayError(
    'unreachable',
    `Ollama is not reachable at ${host} — start it with \`ollama serve\` or set OLLAMA_HOST to where it listens.`,
    { provider, cause },
  );
}

export function ollamaModelNotFound(model: string): GatewayError {
  return new GatewayError(
    'model_not_found',
    `The model \`ollama/${model}\` is not available in Ollama — pull it with \`ollama pull ${model}\`, or pick one listed at GET /v1/models.`,
    { provider, param: 'model', code: 'model_not_found' },
  );
}

/** Classifies an error thrown while talking to Ollama. Abort errors pass through untouched. */
export function fromOllamaError(
  error: unknown,
  context: { host: string; model: string; started: boolean },
): unknown {
  if (error instanceof GatewayError || isAbortError(error)) return error;
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new GatewayError(
      'unreachable',
      `Ollama at ${context.host} accepted the connection but did not answer in time — check that \`ollama serve\` is responsive (its log), or that OLLAMA_HOST points at Ollama.`,
      { provider, cause: error },
    );
  }
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (status === 404 || /model ['"].*['"] not found|not found, try pulling/i.test(message)) {
    return ollamaModelNotFound(context.model);
  }
  if (status !== undefined) {
    if (status === 400 && /context|too long|exceed/i.test(message)) {
      return new GatewayError('context_overflow', `Ollama rejected the prompt as too long: ${message}`, {
        provider,
        code: 'context_length_exceeded',
        param: 'messages',
      });
    }
    if (status === 503 || status === 429) {
      return new GatewayError('overloaded', `Ollama is busy (${status}: ${message}) — retry shortly.`, {
        provider,
        cause: error,
      });
    }
    if (status >= 400 && status < 500) {
      return new GatewayError('invalid_request', `Ollama rejected the request (${status}): ${message}`, {
        provider,
        cause: error,
      });
    }
    return new GatewayError(
      'upstream_error',
      `Ollama failed with ${status}: ${message} — check \`ollama serve\`'s log; retry once it is healthy.`,
      { provider, cause: error },
    );
  }
  if (isConnectionFailure(error)) {
    return context.started
      ? streamCut(context.model, `the connection to ${context.host} was lost`, error)
      : ollamaUnreachable(context.host, error);
  }
  if (/Did not receive done/i.test(message)) {
    return streamCut(context.model, 'the stream ended before its final chunk', error);
  }
  if (/malformed|invalid json/i.test(message)) {
    return streamCut(context.model, 'it sent a line that is not JSON', error);
  }
  // An `{"error": "..."}` line in the stream: Ollama reports a failure after it started answering.
  return new GatewayError(
    context.started ? 'stream_interrupted' : 'upstream_error',
    `Ollama reported an error for \`${context.model}\`: ${message} — check \`ollama serve\`'s log and retry.`,
    { provider, cause: error },
  );
}

function streamCut(model: string, what: string, cause: unknown): GatewayError {
  return new GatewayError(
    'stream_interrupted',
    `Ollama's answer from \`${model}\` was cut off: ${what}. The output is incomplete — retry the request.`,
    { provider, cause },
  );
}

function statusOf(error: unknown): number | undefined {
  if (error && typeof error === 'object' && 'status_code' in error && typeof error.status_code === 'number') {
    return error.status_code;
  }
  return undefined;
}

function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.message === 'fetch failed' || error.message === 'terminated') return true;
  // node:http errors carry the code themselves (the transport); Node's fetch puts it on the cause.
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'EPIPE' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EHOSTUNREACH' ||
    code === 'ETIMEDOUT'
  );
}
