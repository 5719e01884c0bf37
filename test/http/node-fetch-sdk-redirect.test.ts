/**
 * @module test/http/node-fetch-sdk-redirect
 * The official Anthropic and Gemini SDKs on the node:http fetch, with a base URL behind a redirecting
 * gateway (as a corporate gateway moving a path would): a redirect on the same origin reaches the
 * simulator with the key, streamed or not; one to another origin reaches it without the key, so the
 * SDK reports a 401 rather than sending the key to a host it was not given for.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnthropicSimulator, startAnthropicSimulator } from '../../bench/upstreams/anthropic/index.js';
import { type GeminiSimulator, startGeminiSimulator } from '../../bench/upstreams/gemini/index.js';
import { createNodeFetch } from '../../src/http/node-fetch.js';

/**
 * `/moved/<path>` redirects with 308 to `/<path>` on itself; `/elsewhere/<path>` with 307 to `<path>` on
 * `target` (another origin); anything else is relayed to `target`.
 */
async function startGateway(target: string): Promise<{ server: Server; url: string }> {
  const { hostname, port } = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    if (path.startsWith('/moved/')) {
      outgoing.writeHead(308, { location: path.slice('/moved'.length) }).end();
    } else if (path.startsWith('/elsewhere/')) {
      outgoing.writeHead(307, { location: `${target}${path.slice('/elsewhere'.length)}` }).end();
    } else {
      const relayed = request(
        { hostname, port, path, method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      incoming.pipe(relayed);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the SDKs through redirects on the node:http fetch', () => {
  let anthropic: AnthropicSimulator;
  let gemini: GeminiSimulator;
  let anthropicGateway: Awaited<ReturnType<typeof startGateway>>;
  let geminiGateway: Awaited<ReturnType<typeof startGateway>>;
  const nodeFetch = createNodeFetch();

  beforeAll(async () => {
    [anthropic, gemini] = await Promise.all([
      startAnthropicSimulator({ speedFactor: 50 }),
      startGeminiSimulator({ speedFactor: 50 }),
    ]);
    [anthropicGateway, geminiGateway] = await Promise.all([
      startGateway(anthropic.url),
      startGateway(gemini.url),
    ]);
  });

  afterAll(async () => {
    nodeFetch.close();
    for (const { server } of [anthropicGateway, geminiGateway]) server.closeAllConnections();
    await Promise.all([
      ...[anthropicGateway, geminiGateway].map(
        ({ server }) => new Promise((resolve) => server.close(resolve)),
      ),
      anthropic.close(),
      gemini.close(),
    ]);
  });

  const claude = (baseURL: string) =>
    new Anthropic({ apiKey: anthropic.apiKey, baseURL, maxRetries: 0, fetch: nodeFetch.fetch });
  const ask = {
    model: 'claude-haiku-4-5',
    max_tokens: 16,
    messages: [{ role: 'user' as const, content: 'Say hello. [sim:tokens=3]' }],
  };

  it('Anthropic: a same-origin redirect answers, streamed or not', async () => {
    const client = claude(`${anthropicGateway.url}/moved`);
    const message = await client.messages.create(ask);
    expect(message.content[0]).toMatchObject({ type: 'text' });
    const stream = client.messages.stream(ask);
    expect((await stream.finalMessage()).stop_reason).toBeDefined();
  });

  it('Anthropic: a redirect to another origin arrives without the key, and the SDK reports a 401', async () => {
    await expect(claude(`${anthropicGateway.url}/elsewhere`).messages.create(ask)).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
  });

  const google = (baseUrl: string) =>
    new GoogleGenAI({
      apiKey: gemini.apiKey,
      vertexai: false,
      httpOptions: { baseUrl, fetch: nodeFetch.fetch },
    });
  const prompt = { model: 'gemini-2.5-flash', contents: 'Say hello. [sim:tokens=3]' };

  it('Gemini: a same-origin redirect answers, streamed or not', async () => {
    const client = google(`${geminiGateway.url}/moved`);
    const answer = await client.models.generateContent(prompt);
    expect(answer.text).toBeTruthy();
    let streamed = '';
    for await (const chunk of await client.models.generateContentStream(prompt)) {
      streamed += chunk.text ?? '';
    }
    expect(streamed).toBeTruthy();
  });

  it('Gemini: a redirect to another origin arrives without the key', async () => {
    const failure = await google(`${geminiGateway.url}/elsewhere`)
      .models.generateContent(prompt)
      .catch((error: unknown) => error);
    // 403 is Gemini's answer to a request without a key (a wrong key is a 400 API_KEY_INVALID).
    expect(failure).toMatchObject({ status: 403 });
  });
});
