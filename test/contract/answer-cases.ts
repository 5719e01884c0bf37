/**
 * @module test/contract/answer-cases
 * Contract cases for what an adapter answers: plain and streamed completions, the usage chunk and
 * cached tokens, length and stop, tool calls and tool results, images, JSON schema output, and the
 * catalogue and accounting (models, health, profile rows, cost) every answer leaves behind.
 */
import { describe, expect, it } from 'vitest';
import { waitForRows } from '../e2e/gateway-helpers.js';
import {
  ask,
  type ContractContext,
  citySchema,
  drain,
  itUnless,
  longConversation,
  readHealth,
  readMetric,
  requestId,
  tinyPng,
  weatherTool,
} from './contract-helpers.js';

export function answerCases(contract: ContractContext) {
  const { adapter } = contract;
  const { model, provider, upstreamModel, skips } = adapter;
  const openai = () => contract.harness().openai;
  const generationCalls = () => contract.upstream().generationRequests();
  const lastGenerationBody = () => generationCalls().at(-1)?.body;

  describe('answers', () => {
    it('a plain completion', async () => {
      const { data, response } = await openai()
        .chat.completions.create({ model, messages: ask(5) })
        .withResponse();
      const choice = data.choices[0]!;
      expect(choice.finish_reason).toBe('stop');
      expect(choice.message.role).toBe('assistant');
      expect(choice.message.content!.length).toBeGreaterThan(0);
      expect(data.model).toBe(`${provider}/${upstreamModel}`);
      expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
      expect(data.usage!.completion_tokens).toBeGreaterThan(0);
      expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
      expect(response.headers.get('x-switchyard-provider')).toBe(provider);
      expect(response.headers.get('x-switchyard-model')).toBe(upstreamModel);
      expect(response.headers.get('x-switchyard-route')).toBe(adapter.locality);
      const calls = generationCalls();
      expect(calls).toHaveLength(1);
      // The key went in the header the upstream's SDK uses (the simulator accepted it and redacted it).
      if (adapter.credentialHeader) expect(calls[0]!.headers?.[adapter.credentialHeader]).toBe('REDACTED');
    });

    it('a streamed completion', async () => {
      const { chunks, error, text } = await drain(
        await openai().chat.completions.create({ model, stream: true, messages: ask(30) }),
      );
      expect(error).toBeUndefined();
      expect(chunks.length).toBeGreaterThan(1);
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
      expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
      expect(text.length).toBeGreaterThan(0);
      expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
      expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0]!.finish_reason === null)).toBe(true);
      // Without stream_options.include_usage there is no usage field at all.
      expect(chunks.every((chunk) => chunk.usage === undefined)).toBe(true);
    });

    it('a usage chunk with stream_options.include_usage', async () => {
      const { chunks, error } = await drain(
        await openai().chat.completions.create({
          model,
          stream: true,
          stream_options: { include_usage: true },
          messages: ask(12),
        }),
      );
      expect(error).toBeUndefined();
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage!.prompt_tokens).toBeGreaterThan(0);
      expect(last.usage!.completion_tokens).toBeGreaterThan(0);
      expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
      const others = chunks.slice(0, -1);
      expect(others.length).toBeGreaterThan(0);
      expect(others.every((chunk) => chunk.usage === null && chunk.choices.length === 1)).toBe(true);
      expect(others.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    });

    itUnless(
      skips.cachedTokens,
      'reports cached prompt tokens where the upstream reports its cache',
      async () => {
        const messages = longConversation(provider);
        const usageOf = async () => {
          const { chunks } = await drain(
            await openai().chat.completions.create({
              model,
              stream: true,
              stream_options: { include_usage: true },
              messages,
            }),
          );
          return chunks.at(-1)!.usage!;
        };
        await usageOf();
        const second = await usageOf();
        expect(second.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);
        expect(second.prompt_tokens_details!.cached_tokens!).toBeLessThanOrEqual(second.prompt_tokens);
      },
    );

    it('max_tokens reached → finish_reason length', async () => {
      const completion = await openai().chat.completions.create({ model, max_tokens: 5, messages: ask(60) });
      expect(completion.choices[0]!.finish_reason).toBe('length');
      expect(completion.usage!.completion_tokens).toBeLessThanOrEqual(5);
    });

    it('a stop sequence ends the answer before it, with finish_reason stop', async () => {
      const completion = await openai().chat.completions.create({
        model,
        stop: ['END'],
        messages: [{ role: 'user', content: 'Count, then say END and more. [sim:tokens=40] [sim:stop]' }],
      });
      expect(completion.choices[0]!.finish_reason).toBe('stop');
      expect(completion.choices[0]!.message.content).not.toContain('END');
    });

    it('a streamed tool call, assembled by the SDK stream helper', async () => {
      const stream = openai().chat.completions.stream({
        model,
        messages: [{ role: 'user', content: 'What is the weather in Paris? Use the tool. [sim:tool]' }],
        tools: [weatherTool],
      });
      const completion = await stream.finalChatCompletion();
      const choice = completion.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      const calls = choice.message.tool_calls ?? [];
      expect(calls).toHaveLength(1);
      const call = calls[0]!;
      if (call.type !== 'function') throw new Error('expected a function call');
      expect(call.id.length).toBeGreaterThan(0);
      expect(call.function.name).toBe('get_weather');
      const parsed = JSON.parse(call.function.arguments) as Record<string, unknown>;
      expect(typeof parsed.city).toBe('string');
      expect(Number.isInteger(parsed.days)).toBe(true);
    });

    it('a tool-result round trip ends in a text answer', async () => {
      const completion = await openai().chat.completions.create({
        model,
        messages: [
          { role: 'user', content: 'What is the weather in Paris for 2 days? [sim:tool]' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_contract_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris","days":2}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_contract_1', content: '{"forecast":"sunny"}' },
        ],
        tools: [weatherTool],
      });
      const choice = completion.choices[0]!;
      expect(choice.finish_reason).toBe('stop');
      expect(choice.message.tool_calls ?? []).toHaveLength(0);
      expect(choice.message.content!.length).toBeGreaterThan(0);
      // The upstream received the call and its result, in whatever form it uses.
      const sent = JSON.stringify(lastGenerationBody());
      expect(sent).toContain('get_weather');
      expect(sent).toContain('sunny');
    });

    it('an image part (data URL) reaches the upstream in its own form', async () => {
      const completion = await openai().chat.completions.create({
        model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in this picture? [sim:tokens=4]' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${tinyPng}` } },
            ],
          },
        ],
      });
      expect(completion.choices[0]!.finish_reason).toBe('stop');
      const images = adapter.imagesIn(lastGenerationBody());
      expect(images).toHaveLength(1);
      expect(images[0]!.data).toBe(tinyPng);
      if (images[0]!.mediaType !== undefined) expect(images[0]!.mediaType).toBe('image/png');
    });

    it('JSON schema output (response_format json_schema), whole and streamed', async () => {
      const request = {
        model,
        messages: [{ role: 'user' as const, content: 'Name a city and its population. [sim:json]' }],
        response_format: {
          type: 'json_schema' as const,
          json_schema: { name: 'city_facts', schema: citySchema, strict: true },
        },
      };
      const whole = await openai().chat.completions.create(request);
      const streamed = await openai().chat.completions.stream(request).finalChatCompletion();
      for (const completion of [whole, streamed]) {
        const choice = completion.choices[0]!;
        expect(choice.finish_reason).toBe('stop');
        expect(choice.message.tool_calls ?? []).toHaveLength(0);
        const parsed = JSON.parse(choice.message.content!) as Record<string, unknown>;
        expect(typeof parsed.city).toBe('string');
        expect(Number.isInteger(parsed.population)).toBe(true);
      }
    });
  });

  describe('catalogue and accounting', () => {
    it('/v1/models lists the model, and /health reports the provider ready', async () => {
      const ids = (await openai().models.list()).data.map((entry) => entry.id);
      expect(ids).toContain(model);
      const health = await readHealth(contract.harness());
      expect(health.providers[provider]).toMatchObject({ status: 'ready', locality: adapter.locality });
    });

    it('every completion records tokens, ttft, duration and cost in the profile store and /metrics', async () => {
      const harness = contract.harness();
      const labels = { provider, model: upstreamModel };
      const costBefore = await readMetric(harness, 'switchyard_cloud_cost_dollars_total', labels);
      const priced = harness.switchyard.catalog.provider(provider)!;
      let expectedCost = 0;
      for (const stream of [false, true]) {
        const id = requestId(`${provider}-cost`);
        const options = { headers: { 'x-request-id': id } };
        const usage = stream
          ? (
              await drain(
                await openai().chat.completions.create(
                  { model, stream, stream_options: { include_usage: true }, messages: ask(8) },
                  options,
                ),
              )
            ).chunks.at(-1)!.usage!
          : (await openai().chat.completions.create({ model, messages: ask(8) }, options)).usage!;
        const rows = await waitForRows(harness, id);
        expect(rows).toHaveLength(1);
        const row = rows[0]!;
        expect(row).toMatchObject({
          provider,
          model: upstreamModel,
          locality: adapter.locality,
          outcome: 'ok',
          streamed: stream,
          promptTokens: usage.prompt_tokens,
          completionTokens: usage.completion_tokens,
        });
        expect(row.timeToFirstTokenMs).toBeGreaterThan(0);
        expect(row.durationMs).toBeGreaterThanOrEqual(row.timeToFirstTokenMs!);
        const cost = priced.costOf(upstreamModel, {
          promptTokens: usage.prompt_tokens,
          completionTokens: usage.completion_tokens,
        });
        if (adapter.priced) {
          expect(cost).toBeGreaterThan(0);
          expect(row.costDollars).toBeCloseTo(cost!, 12);
          expectedCost += cost!;
        } else {
          // Local inference is free: no cost column, no cost metric.
          expect(cost).toBeUndefined();
          expect(row.costDollars).toBeUndefined();
        }
      }
      const costAfter = await readMetric(harness, 'switchyard_cloud_cost_dollars_total', labels);
      expect(costAfter - costBefore).toBeCloseTo(expectedCost, 12);
    });
  });
}
