/**
 * @module test/e2e/routing-controls
 * What a client and the config can say about routing, end to end: `x-switchyard-route` forces a side,
 * `x-switchyard-deadline-ms` and a routed alias's deadlines change the decision, the privacy header and
 * privacy patterns keep a request local (no cloud call even when local fails), bad header values are a
 * 400 naming the header, and `POST /v1/route/explain` shows the decision without calling any model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { postChat } from './gateway-helpers.js';
import {
  anthropicCalls,
  autoRequest,
  cloudModel,
  decisionHeaders,
  explain,
  localModel,
  ollamaChats,
  routingConfig,
  warmUp,
} from './routing-helpers.js';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    cloud: true,
    config: routingConfig(
      { privacy: { patterns: ['INTERNAL-ONLY'] } },
      { aliases: { hurry: { model: 'auto', ttft_deadline_ms: 1, total_deadline_ms: 2 }, relaxed: 'auto' } },
    ),
  });
  await warmUp(harness);
});

afterAll(async () => {
  await harness?.close();
});

async function send(headers: Record<string, string> = {}, content?: string) {
  const { response } = await harness.openai.chat.completions
    .create(autoRequest(content), { headers })
    .withResponse();
  return decisionHeaders(response);
}

describe('x-switchyard-route', () => {
  it('auto without headers answers locally (the baseline)', async () => {
    expect(await send()).toMatchObject({ route: 'local', model: localModel, reason: 'local_fast_enough' });
  });

  it('cloud forces the cloud and never touches Ollama', async () => {
    const chats = ollamaChats(harness);
    const headers = await send({ 'x-switchyard-route': 'cloud' });
    expect(headers).toMatchObject({
      route: 'cloud',
      provider: 'anthropic',
      model: cloudModel,
      reason: 'forced_cloud',
    });
    expect(Number(headers.predictedMs)).toBeGreaterThan(0);
    expect(ollamaChats(harness)).toBe(chats);
  });

  it('local forces the local model, even when the deadline says cloud', async () => {
    const cloud = anthropicCalls(harness);
    const headers = await send({ 'x-switchyard-route': 'local', 'x-switchyard-deadline-ms': '1' });
    expect(headers).toMatchObject({ route: 'local', provider: 'ollama', reason: 'forced_local' });
    expect(anthropicCalls(harness)).toBe(cloud);
  });

  it('auto is accepted and means the default', async () => {
    expect((await send({ 'x-switchyard-route': 'auto' })).reason).toBe('local_fast_enough');
  });
});

describe('deadlines', () => {
  it('x-switchyard-deadline-ms below what local can do sends the request to the cloud', async () => {
    const headers = await send({ 'x-switchyard-deadline-ms': '1' });
    expect(headers).toMatchObject({ route: 'cloud', reason: 'local_too_slow', escalatedFrom: null });
    const decision = await explain(harness, autoRequest(), { 'x-switchyard-deadline-ms': '1' });
    expect(decision.deadlines).toEqual({ ttftMs: 1, totalMs: 1 });
    expect(decision.sentence).toContain('first token 1 ms, total 1 ms');
  });

  it("a routed alias's deadlines apply to requests made with its name", async () => {
    const hurried = await explain(harness, { ...autoRequest(), model: 'hurry' });
    expect(hurried.deadlines).toEqual({ ttftMs: 1, totalMs: 2 });
    expect(hurried.reason).toBe('local_too_slow');
    const relaxed = await explain(harness, { ...autoRequest(), model: 'relaxed' });
    expect(relaxed.deadlines).toEqual({ ttftMs: 4000, totalMs: 60_000 });
    expect(relaxed.reason).toBe('local_fast_enough');
  });
});

describe('privacy', () => {
  it('the privacy header keeps a request local although the deadline alone would send it to the cloud', async () => {
    const cloud = anthropicCalls(harness);
    const headers = await send({ 'x-switchyard-private': '1', 'x-switchyard-deadline-ms': '1' });
    expect(headers).toMatchObject({ route: 'local', reason: 'private' });
    expect(anthropicCalls(harness)).toBe(cloud);
    // "0" and "false" mean not private.
    expect((await send({ 'x-switchyard-private': 'false', 'x-switchyard-deadline-ms': '1' })).route).toBe(
      'cloud',
    );
  });

  it('a configured privacy pattern in the text does the same', async () => {
    const headers = await send(
      { 'x-switchyard-deadline-ms': '1' },
      'Summarise INTERNAL-ONLY roadmap. [sim:tokens=4]',
    );
    expect(headers).toMatchObject({ route: 'local', reason: 'private' });
  });

  it('when the local model fails, a private request fails too: it is never sent to the cloud', async () => {
    const cloud = anthropicCalls(harness);
    harness.ollama.setFault({ kind: 'http-500', model: localModel, times: 1 });
    try {
      const response = await postChat(harness, autoRequest(), { 'x-switchyard-private': 'yes' });
      expect(response.status).toBeGreaterThanOrEqual(500);
      await response.body?.cancel();
    } finally {
      harness.ollama.setFault(null);
    }
    expect(anthropicCalls(harness)).toBe(cloud);
  });
});

describe('invalid header values', () => {
  it.each([
    ['x-switchyard-route', 'sideways'],
    ['x-switchyard-deadline-ms', 'soon'],
    ['x-switchyard-deadline-ms', '0'],
    ['x-switchyard-deadline-ms', '-50'],
  ])('%s: %s is a 400 naming the header', async (name, value) => {
    const chats = ollamaChats(harness);
    const response = await postChat(harness, autoRequest(), { [name]: value });
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { message: string; type: string; param: string; code: string };
    };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: name, code: 'invalid_header' });
    expect(body.error.message).toContain(name);
    expect(body.error.message).toContain(value);
    expect(ollamaChats(harness)).toBe(chats);
  });

  it('explain refuses them the same way', async () => {
    const response = await fetch(`${harness.baseURL}/route/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchyard-route': 'both' },
      body: JSON.stringify(autoRequest()),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe('x-switchyard-route');
  });
});

describe('POST /v1/route/explain', () => {
  it('returns attempts, reason, sentence, predicted times and features without calling any model', async () => {
    const ollamaBefore = harness.ollama.requests.length;
    const cloudBefore = harness.anthropic!.requests.length + harness.gemini!.requests.length;
    const decision = await explain(harness, {
      ...autoRequest('Fix the typo in README.md please.'),
      max_tokens: 50,
    });

    expect(decision.routed).toBe(true);
    expect(decision.reason).toBe('local_fast_enough');
    expect(
      decision.attempts.map((attempt) => `${attempt.locality}:${attempt.provider}/${attempt.model}`),
    ).toEqual([`local:ollama/${localModel}`, `cloud:anthropic/${cloudModel}`]);
    const [local, cloud] = decision.attempts;
    expect(local!.firstTokenDeadlineMs).toBeGreaterThanOrEqual(500);
    for (const attempt of [local!, cloud!]) {
      expect(attempt.predicted!.ttftMs).toBeGreaterThan(0);
      expect(attempt.predicted!.totalMs).toBeGreaterThanOrEqual(attempt.predicted!.ttftMs);
      expect(attempt.predicted!.ttftHighMs).toBeGreaterThanOrEqual(attempt.predicted!.ttftMs);
    }
    expect(decision.sentence).toContain(`ollama/${localModel} meets the deadlines`);
    expect(decision.sentence).toContain(`${Math.round(local!.predicted!.ttftMs)} ms`);
    expect(decision.complexity).toBe('simple');
    expect(decision.features).toMatchObject({
      expectedOutputTokens: 50,
      outputTokensGiven: true,
      maxTokens: 50,
      toolCount: 0,
      conversationDepth: 1,
      complexity: 'simple',
    });
    // The request text is not echoed back.
    expect(decision.features).not.toHaveProperty('text');

    // No model was called: no chat upstream, and the cached model lists needed no refresh either.
    expect(
      harness.ollama.requests.slice(ollamaBefore).filter((request) => request.path === '/api/chat'),
    ).toEqual([]);
    expect(harness.anthropic!.requests.length + harness.gemini!.requests.length).toBe(cloudBefore);
  });

  it('takes the routing headers into account', async () => {
    expect((await explain(harness, autoRequest(), { 'x-switchyard-route': 'cloud' })).reason).toBe(
      'forced_cloud',
    );
    expect((await explain(harness, autoRequest(), { 'x-switchyard-private': '1' })).reason).toBe('private');
  });

  it('for a named model, says it is not routed', async () => {
    const response = await fetch(`${harness.baseURL}/route/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...autoRequest(), model: `ollama/${localModel}` }),
    });
    const body = (await response.json()) as { routed: boolean; reason: string; attempts: unknown[] };
    expect(body).toMatchObject({ routed: false, reason: 'explicit' });
    expect(body.attempts).toEqual([{ provider: 'ollama', model: localModel, locality: 'local' }]);
  });
});
