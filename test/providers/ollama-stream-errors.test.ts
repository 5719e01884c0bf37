/**
 * @module test/providers/ollama-stream-errors
 * The classification of what the `ollama` client throws into errors that say what to do (the transport
 * and its NDJSON check are tested in ollama-http-transport.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { fromOllamaError } from '../../src/providers/ollama/errors.js';
import { MalformedNdjsonError } from '../../src/providers/ollama/ndjson-guard.js';

describe('fromOllamaError', () => {
  /** The shape of the `ollama` client's ResponseError (not exported by the package). */
  class ResponseError extends Error {
    constructor(
      message: string,
      readonly status_code: number,
    ) {
      super(message);
      this.name = 'ResponseError';
    }
  }
  const context = { host: 'http://127.0.0.1:11434', model: 'qwen2.5-coder:7b', started: false };
  const classify = (error: unknown, started = false) =>
    fromOllamaError(error, { ...context, started }) as GatewayError;

  it.each([
    ['a 404', new ResponseError('model "qwen2.5-coder:7b" not found', 404)],
    ['a "try pulling" message', new Error('model "qwen2.5-coder:7b" not found, try pulling it first')],
  ])('classifies %s as model_not_found with the pull command', (_what, error) => {
    const classified = classify(error);
    expect(classified).toBeInstanceOf(GatewayError);
    expect(classified).toMatchObject({
      kind: 'model_not_found',
      status: 404,
      param: 'model',
      provider: 'ollama',
    });
    expect(classified.message).toContain('ollama pull qwen2.5-coder:7b');
  });

  it.each([
    ['fetch failed', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })],
    ['ECONNREFUSED', Object.assign(new Error('connect failed'), { cause: { code: 'ECONNREFUSED' } })],
  ])('classifies %s before the stream as unreachable, saying how to start Ollama', (_what, error) => {
    const classified = classify(error);
    expect(classified).toMatchObject({ kind: 'unreachable', status: 503, provider: 'ollama' });
    expect(classified.message).toContain('http://127.0.0.1:11434');
    expect(classified.message).toContain('ollama serve');
    expect(classified.message).toContain('OLLAMA_HOST');
    expect(classify(error, true).kind).toBe('stream_interrupted');
  });

  it('classifies a TLS failure wrapped as fetch failed as unreachable, and a control call timeout too', () => {
    const tls = new TypeError('fetch failed', {
      cause: Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
    });
    expect(classify(tls)).toMatchObject({ kind: 'unreachable', provider: 'ollama' });
    const timeout = classify(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    expect(timeout).toMatchObject({ kind: 'unreachable', provider: 'ollama' });
    expect(timeout.message).toContain('did not answer in time');
  });

  it('classifies a stream without its done chunk, and a malformed line, as stream_interrupted', () => {
    const cut = classify(new Error('Did not receive done or success response in stream.'), true);
    expect(cut).toMatchObject({ kind: 'stream_interrupted', status: 502 });
    expect(cut.message).toContain('cut off');
    expect(classify(new MalformedNdjsonError(), true).kind).toBe('stream_interrupted');
  });

  it('passes abort errors and GatewayErrors through untouched', () => {
    const abort = new DOMException('This operation was aborted', 'AbortError');
    expect(fromOllamaError(abort, context)).toBe(abort);
    const gateway = new GatewayError('timeout', 'slow');
    expect(fromOllamaError(gateway, context)).toBe(gateway);
  });

  it('classifies other statuses: too-long prompt, busy, bad request, server error', () => {
    expect(classify(new ResponseError('input exceeds the context length', 400))).toMatchObject({
      kind: 'context_overflow',
      code: 'context_length_exceeded',
    });
    expect(classify(new ResponseError('server busy', 503)).kind).toBe('overloaded');
    expect(classify(new ResponseError('too many', 429)).kind).toBe('overloaded');
    expect(classify(new ResponseError('invalid option', 400)).kind).toBe('invalid_request');
    expect(classify(new ResponseError('llama runner crashed', 500))).toMatchObject({
      kind: 'upstream_error',
      retryable: true,
    });
  });

  it('classifies an error line mid-stream as stream_interrupted, and before it as upstream_error', () => {
    expect(classify(new Error('out of memory'), true).kind).toBe('stream_interrupted');
    expect(classify(new Error('out of memory'), false).kind).toBe('upstream_error');
  });
});
