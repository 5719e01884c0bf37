/**
 * @module test/gateway/attempt-runner-abort
 * The attempt runner after the first event (committed: errors reach the consumer, no escalation) and
 * every way a client goes away: stopping the stream, `cancel()`, and its signal, also during a backoff.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import type { ChatEvent } from '../../src/providers/provider.js';
import { abortOf, answers, fakeProvider, flaky, overloaded, setup, summary } from './attempt-fakes.js';

describe('startAttempts: commitment and client aborts', () => {
  it('propagates an error after the first event to the consumer without escalating', async () => {
    const { run, records } = setup();
    const broken = fakeProvider('ollama', async function* () {
      yield { type: 'text-delta', text: 'partial' };
      throw new GatewayError('upstream_error', 'connection reset mid-answer');
    });
    const backup = fakeProvider('anthropic', () => answers('never'), 'cloud');
    const started = await run([
      { provider: broken, model: 'qwen' },
      { provider: backup, model: 'claude' },
    ]);
    const seen: ChatEvent[] = [];
    await expect(
      (async () => {
        for await (const event of started.events) seen.push(event);
      })(),
    ).rejects.toMatchObject({ kind: 'upstream_error', message: 'connection reset mid-answer' });
    expect(seen).toEqual([{ type: 'text-delta', text: 'partial' }]);
    expect(backup.calls).toHaveLength(0);
    expect(summary(records)).toEqual([
      {
        attempt: 0,
        provider: 'ollama',
        model: 'qwen',
        outcome: 'upstream_error',
        errorKind: 'upstream_error',
      },
    ]);
  });

  it('aborts the upstream and records client_aborted when the consumer stops early', async () => {
    const { run, records, observed } = setup();
    let cleanedUp = false;
    const provider = fakeProvider('ollama', async function* () {
      try {
        for (let index = 0; ; index++) yield { type: 'text-delta', text: `t${index}` };
      } finally {
        cleanedUp = true;
      }
    });
    const started = await run([{ provider, model: 'qwen' }]);
    for await (const event of started.events) if (event.type === 'text-delta' && event.text === 't2') break;
    expect(provider.calls[0]?.signal.aborted).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(cleanedUp).toBe(true);
    expect(summary(records)).toEqual([
      {
        attempt: 0,
        provider: 'ollama',
        model: 'qwen',
        outcome: 'client_aborted',
        errorKind: 'client_aborted',
      },
    ]);
    expect(observed).toEqual(['started ollama', 'finished ollama client_aborted']);
  });

  it('cancel() before iteration aborts the upstream and records the attempt once', async () => {
    const { run, records } = setup();
    const provider = fakeProvider('ollama', () => answers('a', 'b'));
    const started = await run([{ provider, model: 'qwen' }]);
    started.cancel();
    started.cancel();
    expect(provider.calls[0]?.signal.aborted).toBe(true);
    expect(summary(records)).toEqual([
      {
        attempt: 0,
        provider: 'ollama',
        model: 'qwen',
        outcome: 'client_aborted',
        errorKind: 'client_aborted',
      },
    ]);
  });

  it('cancel() mid-iteration aborts an upstream that is waiting, and the consumer sees client_aborted', async () => {
    const { run, records } = setup();
    const provider = fakeProvider('ollama', async function* (context) {
      yield { type: 'text-delta', text: 'first' };
      await abortOf(context.signal);
    });
    const started = await run([{ provider, model: 'qwen' }]);
    const iterator = started.events[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    started.cancel();
    await expect(pending).rejects.toMatchObject({ kind: 'client_aborted' });
    expect(records.map((r) => r.outcome)).toEqual(['client_aborted']);
  });

  it('stops at a client abort before the first event: no retries, no escalation', async () => {
    const client = new AbortController();
    const { run, records, sleeps } = setup({ signal: client.signal });
    const provider = fakeProvider('ollama', async function* (context) {
      setTimeout(() => client.abort(), 1);
      await abortOf(context.signal);
      yield* answers('x');
    });
    const backup = fakeProvider('anthropic', () => answers('never'), 'cloud');
    await expect(
      run([
        { provider, model: 'qwen' },
        { provider: backup, model: 'claude' },
      ]),
    ).rejects.toMatchObject({ kind: 'client_aborted' });
    expect(provider.calls[0]?.signal.aborted).toBe(true);
    expect(backup.calls).toHaveLength(0);
    expect(sleeps).toEqual([]);
    expect(summary(records)).toEqual([
      {
        attempt: 0,
        provider: 'ollama',
        model: 'qwen',
        outcome: 'client_aborted',
        errorKind: 'client_aborted',
      },
    ]);
  });

  it('turns a client abort during a retry backoff into client_aborted, whatever the abort reason', async () => {
    const client = new AbortController();
    const { run, records, sleeps } = setup({
      signal: client.signal,
      duringSleep: (signal) => {
        // As @hono/node-server does when the socket closes; the system clock then rejects with the reason.
        client.abort('Client connection prematurely closed.');
        if (signal?.aborted) throw signal.reason;
      },
    });
    const provider = fakeProvider('ollama', flaky(5, overloaded));
    const backup = fakeProvider('anthropic', () => answers('never'), 'cloud');
    await expect(
      run([
        { provider, model: 'qwen' },
        { provider: backup, model: 'claude' },
      ]),
    ).rejects.toMatchObject({ kind: 'client_aborted', status: 499 });
    expect(sleeps).toEqual([100]);
    expect(provider.calls).toHaveLength(1);
    expect(backup.calls).toHaveLength(0);
    expect(records).toHaveLength(1);
  });
});
