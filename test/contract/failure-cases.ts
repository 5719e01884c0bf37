/**
 * @module test/contract/failure-cases
 * Contract cases for failures: each upstream error mapped to the status the OpenAI SDK expects (with
 * an actionable message that never leaks a key), retries only before the first byte, failures after
 * it surfacing as stream errors, never as a silent truncation, and client aborts that stop the
 * upstream and are profiled as `client_aborted` whichever way the upstream SDK reports them.
 */
import OpenAI, { APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import { waitFor, waitForRows } from '../e2e/gateway-helpers.js';
import {
  ask,
  type ContractContext,
  drain,
  itUnless,
  readHealth,
  readMetric,
  rejection,
  requestId,
} from './contract-helpers.js';

/** Output tokens for an answer still running when the client leaves: 5 s and more in the slow harness. */
const longAnswer = 8000;

export function failureCases(contract: ContractContext, wrongKey: string) {
  const { adapter } = contract;
  const { model, provider, upstreamModel, skips } = adapter;
  const openai = () => contract.harness().openai;
  const upstream = () => contract.upstream();
  const generationCalls = () => upstream().generationRequests().length;
  const maxRetries = () => contract.harness().config.retry.max_retries;

  describe('errors before the first byte', () => {
    itUnless(skips.authentication, 'a rejected key → 401 naming the variable, never the key', async () => {
      const rejecting = adapter.upstream(contract.wrongKeys());
      rejecting.clearRequests();
      const error = await rejection(
        contract.wrongKeys().openai.chat.completions.create({ model, messages: ask(3) }),
      );
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error.status).toBe(401);
      expect(error.message).toContain(adapter.keyVariable!);
      expect(error.message).not.toContain(wrongKey);
      expect(JSON.stringify(error.error)).not.toContain(wrongKey);
      // Not retried: another try cannot fix a key.
      expect(rejecting.generationRequests()).toHaveLength(1);
    });

    itUnless(
      skips.rateLimit,
      '429 → retried, then 429 with retry-after once retries are exhausted',
      async () => {
        upstream().setFault({ kind: 'rate-limit', retryAfterSeconds: 0 });
        const error = await rejection(openai().chat.completions.create({ model, messages: ask(3) }));
        expect(error).toBeInstanceOf(OpenAI.RateLimitError);
        expect(error.status).toBe(429);
        expect(error.headers?.get('retry-after')).toBe('0');
        expect(generationCalls()).toBe(1 + maxRetries());
      },
    );

    itUnless(
      skips.rateLimit,
      '429 asking for a longer wait than retry.max_delay_ms → passed on at once',
      async () => {
        upstream().setFault({ kind: 'rate-limit', retryAfterSeconds: 30 });
        const error = await rejection(openai().chat.completions.create({ model, messages: ask(3) }));
        expect(error.status).toBe(429);
        expect(error.headers?.get('retry-after')).toBe('30');
        expect(generationCalls()).toBe(1);
      },
    );

    itUnless(skips.overloaded, 'overloaded → 503 (after retries)', async () => {
      upstream().setFault({ kind: 'overloaded' });
      const error = await rejection(openai().chat.completions.create({ model, messages: ask(3) }));
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.status).toBe(503);
      expect(generationCalls()).toBe(1 + maxRetries());
    });

    it('an unknown model → 404 model_not_found, not retried', async () => {
      const error = await rejection(
        openai().chat.completions.create({ model: adapter.unknownModel, messages: ask(3) }),
      );
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
      expect(generationCalls()).toBeLessThanOrEqual(1);
    });

    it('an upstream 500 → 5xx (after retries)', async () => {
      upstream().setFault({ kind: 'http-500' });
      const error = await rejection(openai().chat.completions.create({ model, messages: ask(3) }));
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.status).toBeGreaterThanOrEqual(500);
      expect(error.status).toBeLessThan(600);
      expect(generationCalls()).toBe(1 + maxRetries());
    });

    it('one failure before the first byte is retried invisibly', async () => {
      const labels = { provider, model: upstreamModel };
      const retriesBefore = await readMetric(contract.harness(), 'switchyard_upstream_retries_total', labels);
      upstream().setFault({ kind: 'http-500', times: 1 });
      const completion = await openai().chat.completions.create({ model, messages: ask(4) });
      expect(completion.choices[0]!.finish_reason).toBe('stop');
      expect(generationCalls()).toBe(2);
      expect(await readMetric(contract.harness(), 'switchyard_upstream_retries_total', labels)).toBe(
        retriesBefore + 1,
      );
    });

    itUnless(
      skips.cutBeforeContent,
      'a stream cut before any content reached the client is retried invisibly',
      async () => {
        upstream().setFault({ kind: 'cut-stream', after: adapter.cutBeforeContent!, times: 1 });
        const { chunks, error } = await drain(
          await openai().chat.completions.create({ model, stream: true, messages: ask(6) }),
        );
        expect(error).toBeUndefined();
        expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
        expect(generationCalls()).toBe(2);
      },
    );

    itUnless(
      skips.missingKey,
      'a missing key → disabled in /health, 503 naming the variable to set',
      async () => {
        const noKeys = contract.noKeys();
        const health = await readHealth(noKeys);
        expect(health.providers[provider]).toMatchObject({ status: 'disabled' });
        expect(health.providers[provider]!.message).toContain(adapter.keyVariable!);
        const unused = adapter.upstream(noKeys);
        unused.clearRequests();
        const error = await rejection(noKeys.openai.chat.completions.create({ model, messages: ask(3) }));
        expect(error.status).toBe(503);
        expect(error.message).toContain(adapter.keyVariable!);
        expect(unused.generationRequests()).toHaveLength(0);
        const ids = (await noKeys.openai.models.list()).data.map((entry) => entry.id);
        expect(ids.some((id) => id.startsWith(`${provider}/`))).toBe(false);
      },
    );
  });

  describe('after the first byte', () => {
    it('a cut stream surfaces as an error in the SDK stream and as a stream_interrupted profile row', async () => {
      upstream().setFault({ kind: 'cut-stream', after: adapter.cutAfter, times: 1 });
      const id = requestId(`${provider}-cut`);
      const { chunks, error, text } = await drain(
        await openai().chat.completions.create(
          { model, stream: true, messages: ask(200) },
          { headers: { 'x-request-id': id } },
        ),
      );
      expect(text.length).toBeGreaterThan(0);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(chunks.every((chunk) => chunk.choices[0]?.finish_reason == null)).toBe(true);
      const rows = await waitForRows(contract.harness(), id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        provider,
        outcome: 'upstream_error',
        errorKind: 'stream_interrupted',
        streamed: true,
      });
      expect(rows[0]!.timeToFirstTokenMs).toBeGreaterThan(0);
    });

    it('an in-stream upstream error surfaces as an error in the SDK stream', async () => {
      upstream().setFault({ kind: 'error-event', after: adapter.cutAfter, times: 1 });
      const id = requestId(`${provider}-error-event`);
      const { chunks, error, text } = await drain(
        await openai().chat.completions.create(
          { model, stream: true, messages: ask(200) },
          { headers: { 'x-request-id': id } },
        ),
      );
      expect(text.length).toBeGreaterThan(0);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(chunks.every((chunk) => chunk.choices[0]?.finish_reason == null)).toBe(true);
      const rows = await waitForRows(contract.harness(), id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ provider, outcome: 'upstream_error' });
    });

    it('is never retried, streamed or not', async () => {
      upstream().setFault({ kind: 'cut-stream', after: adapter.cutAfter });
      const streamed = await drain(
        await openai().chat.completions.create({ model, stream: true, messages: ask(200) }),
      );
      expect(streamed.error).toBeInstanceOf(OpenAI.APIError);
      expect(generationCalls()).toBe(1);
      const whole = await rejection(openai().chat.completions.create({ model, messages: ask(200) }));
      expect(whole).toMatchObject({ status: 502, code: 'stream_interrupted' });
      expect(generationCalls()).toBe(2);
    });
  });

  describe('client abort', () => {
    it('mid-stream: the upstream call is closed and the attempt profiled as client_aborted', async () => {
      const slow = contract.slow();
      const slowUpstream = adapter.upstream(slow);
      const abortedBefore = slowUpstream.abortedRequests();
      const controller = new AbortController();
      const id = requestId(`${provider}-abort`);
      const stream = await slow.openai.chat.completions.create(
        { model, stream: true, max_tokens: longAnswer, messages: ask(longAnswer, 'Write a long story.') },
        { signal: controller.signal, headers: { 'x-request-id': id } },
      );
      let thrown: unknown;
      try {
        for await (const chunk of stream) if (chunk.choices[0]?.delta.content) controller.abort();
      } catch (error) {
        thrown = error;
      }
      // The SDK ends its iteration quietly on its own abort, or throws its abort error; never anything else.
      if (thrown !== undefined) expect(thrown).toBeInstanceOf(APIUserAbortError);
      await waitFor(
        () => slowUpstream.abortedRequests() > abortedBefore,
        3000,
        'the upstream to see the abort',
      );
      const rows = await waitForRows(slow, id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ provider, outcome: 'client_aborted', errorKind: 'client_aborted' });
    });

    it('before the first token, streamed or not: client_aborted, not an upstream failure', async () => {
      const labels = { provider, model: upstreamModel, kind: 'client_aborted' };
      for (const stream of [true, false]) {
        upstream().setFault({ kind: 'stall', ms: 5000, times: 1 });
        const abortedBefore = upstream().abortedRequests();
        const callsBefore = generationCalls();
        const controller = new AbortController();
        const id = requestId(`${provider}-abort-early`);
        const pending = openai().chat.completions.create(
          { model, stream, messages: ask(5) },
          { signal: controller.signal, headers: { 'x-request-id': id } },
        );
        await waitFor(() => generationCalls() > callsBefore, 3000, 'the upstream call');
        controller.abort();
        await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
        await waitFor(
          () => upstream().abortedRequests() > abortedBefore,
          3000,
          'the upstream to see the abort',
        );
        const rows = await waitForRows(contract.harness(), id);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          provider,
          outcome: 'client_aborted',
          errorKind: 'client_aborted',
          streamed: stream,
        });
        expect(generationCalls()).toBe(callsBefore + 1);
      }
      expect(await readMetric(contract.harness(), 'switchyard_upstream_errors_total', labels)).toBe(0);
    });
  });
}
