/**
 * @module test/e2e/gateway-close-connections
 * switchyard keeps one connection per upstream across sequential requests (an answer read to its end
 * leaves it in the pool), and `switchyard.close()` closes the keep-alive connections it opened to the
 * upstreams (Ollama's pool and the cloud SDKs' pool) at once, instead of leaving them to the 4 s idle timeout, and leaves alone a
 * fetch the caller gave it. The connections are counted by a TCP relay in front of each simulator.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnthropicSimulator, startAnthropicSimulator } from '../../bench/upstreams/anthropic/index.js';
import { type OllamaSimulator, startOllamaSimulator } from '../../bench/upstreams/ollama/index.js';
import { createNodeFetch } from '../../src/http/node-fetch.js';
import { type Harness, startHarness } from '../support/harness.js';

interface Relay {
  url: string;
  /** Connections open through the relay right now. */
  open(): number;
  /** Connections accepted since the relay started. */
  accepted(): number;
  close(): Promise<void>;
}

/** Forwards TCP connections to `target` (a simulator's URL), counting them. */
async function startRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = createConnection(Number(port), hostname);
    sockets.add(client);
    client.once('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.once('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    open: () => sockets.size,
    accepted: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const messages = [{ role: 'user' as const, content: 'Say hello. [sim:tokens=3]' }];

describe('switchyard.close() and the upstream connections', () => {
  let ollama: OllamaSimulator;
  let anthropic: AnthropicSimulator;
  let ollamaRelay: Relay;
  let anthropicRelay: Relay;
  const harnesses: Harness[] = [];

  beforeAll(async () => {
    [ollama, anthropic] = await Promise.all([
      startOllamaSimulator({ port: 0, speedFactor: 50, seed: 7 }),
      startAnthropicSimulator({ port: 0, speedFactor: 50, seed: 7 }),
    ]);
    [ollamaRelay, anthropicRelay] = await Promise.all([startRelay(ollama.url), startRelay(anthropic.url)]);
  });

  afterAll(async () => {
    await Promise.all(harnesses.map((harness) => harness.close()));
    await Promise.all([ollamaRelay.close(), anthropicRelay.close()]);
    await Promise.all([ollama.close(), anthropic.close()]);
  });

  /** A switchyard whose upstreams are reached through the relays. */
  async function start(fetch?: typeof globalThis.fetch): Promise<Harness> {
    const harness = await startHarness({
      env: {
        OLLAMA_HOST: ollamaRelay.url,
        ANTHROPIC_API_KEY: anthropic.apiKey,
        ANTHROPIC_BASE_URL: anthropicRelay.url,
      },
      ...(fetch ? { fetch } : {}),
    });
    harnesses.push(harness);
    await harness.openai.chat.completions.create({ model: 'ollama/llama3.2:3b', messages });
    await harness.openai.chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages });
    return harness;
  }

  it('keeps one connection per upstream across sequential requests, streamed or not (keep-alive)', async () => {
    const harness = await start();
    const ollamaBefore = ollamaRelay.accepted();
    const anthropicBefore = anthropicRelay.accepted();
    for (let index = 0; index < 4; index++) {
      for (const model of ['ollama/llama3.2:3b', 'anthropic/claude-haiku-4-5']) {
        await harness.openai.chat.completions.create({ model, messages });
        const stream = await harness.openai.chat.completions.create({ model, messages, stream: true });
        for await (const _chunk of stream) {
          // drain
        }
      }
    }
    // An answer read to its end leaves the connection in the pool for the next request: no new ones.
    expect(ollamaRelay.accepted() - ollamaBefore).toBe(0);
    expect(anthropicRelay.accepted() - anthropicBefore).toBe(0);
    await harness.switchyard.close();
    await expect.poll(() => ollamaRelay.open() + anthropicRelay.open(), { timeout: 1000 }).toBe(0);
  });

  it('closes the connections of the pools it made', async () => {
    const harness = await start();
    expect(ollamaRelay.open()).toBeGreaterThan(0);
    expect(anthropicRelay.open()).toBeGreaterThan(0);

    await harness.switchyard.close();

    // Well within the pools' 4 s idle timeout, which would close them anyway.
    await expect.poll(() => ollamaRelay.open(), { timeout: 1000 }).toBe(0);
    await expect.poll(() => anthropicRelay.open(), { timeout: 1000 }).toBe(0);
  });

  it("leaves the connections of a fetch the caller gave it open: the caller's to close", async () => {
    const callers = createNodeFetch();
    try {
      const harness = await start(callers.fetch);
      await harness.switchyard.close();
      await expect.poll(() => ollamaRelay.open(), { timeout: 1000 }).toBe(0);
      expect(anthropicRelay.open()).toBeGreaterThan(0);
    } finally {
      callers.close();
    }
    await expect.poll(() => anthropicRelay.open(), { timeout: 1000 }).toBe(0);
  });
});
