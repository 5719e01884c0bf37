/**
 * @module test/e2e/gateway-abort
 * A client that goes away must stop the upstream: aborting the SDK request mid-stream (or mid-wait for
 * a non-streamed answer) closes switchyard's connection to Ollama, and the attempt is profiled as
 * `client_aborted`. The server keeps serving afterwards.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { APIUserAbortError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { waitFor, waitForRows } from './gateway-helpers.js';

const model = 'ollama/llama3.2:3b';
const longAnswer = '[sim:tokens=3000]';

/**
 * A full garbage collection, run while the answer streams: Node's fetch drops the link from a signal to
 * a running body when its Request object is collected (nodejs/undici#3644), which is how an abort can
 * fail to reach Ollama. Collecting on purpose makes that failure likely here rather than rare (not
 * certain: it depends on what the event loop still holds at that moment).
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects twice with a turn of the event loop between, so weak references are really cleared. */
async function collectGarbage(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 10));
  gc();
}

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
  // Load the model first, so the requests below stream at once.
  await harness.openai.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'warm [sim:tokens=1]' }],
  });
});

afterAll(async () => {
  await harness?.close();
});

afterEach(() => {
  harness.ollama.setSlowdown('llama3.2:3b', 1);
});

describe('client abort', () => {
  it('mid-stream: the SDK stops, Ollama sees the connection close, the profile says client_aborted', async () => {
    const abortedBefore = harness.ollama.abortedRequests;
    const controller = new AbortController();
    const requestId = 'e2e-abort-stream';
    const stream = await harness.openai.chat.completions.create(
      { model, stream: true, messages: [{ role: 'user', content: `Write a novel. ${longAnswer}` }] },
      { signal: controller.signal, headers: { 'x-request-id': requestId } },
    );
    let received = 0;
    let thrown: unknown;
    try {
      for await (const chunk of stream) {
        received += 1;
        if (chunk.choices[0]?.delta.content) {
          // From here on the model is slow, so the answer cannot end before the abort gets through.
          harness.ollama.setSlowdown('llama3.2:3b', 50);
          await collectGarbage();
          controller.abort();
          break;
        }
      }
    } catch (error) {
      thrown = error;
    }
    // The SDK ends its iteration quietly on its own abort, or throws its abort error; never anything else.
    if (thrown !== undefined) expect(thrown).toBeInstanceOf(APIUserAbortError);
    expect(received).toBe(1);

    await waitFor(
      () => harness.ollama.abortedRequests > abortedBefore,
      3000,
      'the simulator to see the abort',
    );
    expect(harness.ollama.abortedRequests).toBe(abortedBefore + 1);

    const rows = await waitForRows(harness, requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      requestId,
      outcome: 'client_aborted',
      errorKind: 'client_aborted',
      streamed: true,
      provider: 'ollama',
      model: 'llama3.2:3b',
    });
    expect(rows[0]!.timeToFirstTokenMs).toBeGreaterThan(0);
    expect(rows[0]!.evalCount).toBeUndefined();
  });

  it('while a non-streamed answer is being generated: the upstream is closed too', async () => {
    const abortedBefore = harness.ollama.abortedRequests;
    const controller = new AbortController();
    const requestId = 'e2e-abort-whole';
    const pending = harness.openai.chat.completions.create(
      { model, messages: [{ role: 'user', content: `Write an epic. ${longAnswer}` }] },
      { signal: controller.signal, headers: { 'x-request-id': requestId } },
    );
    const chatsBefore = harness.ollama.requests.filter((request) => request.path === '/api/chat').length;
    await waitFor(
      () => harness.ollama.requests.filter((request) => request.path === '/api/chat').length > chatsBefore,
      3000,
      'the upstream call',
    );
    harness.ollama.setSlowdown('llama3.2:3b', 50);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await collectGarbage();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);

    await waitFor(
      () => harness.ollama.abortedRequests > abortedBefore,
      3000,
      'the simulator to see the abort',
    );
    const rows = await waitForRows(harness, requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'client_aborted', streamed: false });
  });

  it('the server keeps serving, and counts no request as failed upstream', async () => {
    const completion = await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Still here? [sim:tokens=3]' }],
    });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).not.toMatch(/switchyard_upstream_errors_total\{[^}]*kind="client_aborted"/);
  });
});
