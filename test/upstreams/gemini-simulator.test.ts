import { readFileSync } from 'node:fs';
import {
  ApiError,
  FunctionCallingConfigMode,
  type FunctionDeclaration,
  type GenerateContentResponse,
  GoogleGenAI,
  Type,
} from '@google/genai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GeminiSimulator, startGeminiSimulator } from '../../bench/upstreams/gemini/index.js';

const FLASH = 'gemini-2.5-flash';
const LITE = 'gemini-2.5-flash-lite';
const WEATHER: FunctionDeclaration = {
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  parameters: {
    type: Type.OBJECT,
    properties: {
      location: { type: Type.STRING },
      unit: { type: Type.STRING, enum: ['celsius', 'fahrenheit'] },
    },
    required: ['location'],
  },
};

let sim: GeminiSimulator;
let ai: GoogleGenAI;

beforeAll(async () => {
  sim = await startGeminiSimulator({ speedFactor: 50, seed: 3 });
  ai = new GoogleGenAI({ apiKey: sim.apiKey, httpOptions: { baseUrl: sim.url } });
});
afterEach(() => sim.setFault(null));
afterAll(() => sim.close());

async function collect(stream: AsyncGenerator<GenerateContentResponse>): Promise<GenerateContentResponse[]> {
  const chunks: GenerateContentResponse[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

function readFixture(name: string): Array<Record<string, unknown>> {
  const url = new URL(`../fixtures/gemini/${name}`, import.meta.url);
  return readFileSync(url, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Every key of the documented shape exists in the simulated chunk with the same JSON kind. */
function expectShapeCovers(documented: unknown, simulated: unknown, path = '$'): void {
  const kind = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);
  expect(kind(simulated), path).toBe(kind(documented));
  if (Array.isArray(documented) && Array.isArray(simulated)) {
    for (const [index, entry] of documented.entries()) {
      expectShapeCovers(entry, simulated[index], `${path}[${index}]`);
    }
    return;
  }
  if (kind(documented) !== 'object') return;
  for (const [key, value] of Object.entries(documented as Record<string, unknown>)) {
    expect(simulated as Record<string, unknown>, path).toHaveProperty([key]);
    expectShapeCovers(value, (simulated as Record<string, unknown>)[key], `${path}.${key}`);
  }
}

/** Streams over raw HTTP, to check the SSE framing itself. */
async function rawSse(
  model: string,
  body: unknown,
): Promise<{ text: string; chunks: Array<Record<string, unknown>> }> {
  const response = await fetch(`${sim.url}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'x-goog-api-key': sim.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const text = await response.text();
  expect(text.endsWith('\r\n\r\n')).toBe(true);
  const chunks = text
    .split('\r\n\r\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      expect(frame.startsWith('data: ')).toBe(true);
      return JSON.parse(frame.slice('data: '.length)) as Record<string, unknown>;
    });
  return { text, chunks };
}

describe('Gemini simulator with @google/genai', () => {
  it('answers generateContent with exactly the requested tokens', async () => {
    const response = await ai.models.generateContent({
      model: FLASH,
      contents: 'Say something [sim:tokens=12]',
      config: { systemInstruction: 'Be terse.', thinkingConfig: { thinkingBudget: 0 } },
    });
    expect(response.text?.length).toBeGreaterThan(0);
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.candidates?.[0]?.content?.role).toBe('model');
    expect(response.usageMetadata?.candidatesTokenCount).toBe(12);
    expect(response.usageMetadata?.thoughtsTokenCount).toBeUndefined();
    expect(response.modelVersion).toBe(FLASH);
    expect(response.responseId).toMatch(/^[A-Za-z0-9]{23}$/);

    const recorded = sim.requests.at(-1);
    expect(recorded?.path).toBe(`/v1beta/models/${FLASH}:generateContent`);
    expect(recorded?.headers['x-goog-api-key']).toBe('REDACTED');
    expect(recorded?.body).toMatchObject({
      contents: [{ role: 'user', parts: [{ text: 'Say something [sim:tokens=12]' }] }],
      systemInstruction: { parts: [{ text: 'Be terse.' }] },
      generationConfig: { thinkingConfig: { thinkingBudget: 0 } },
    });
  });

  it('thinks by default, and thoughts count against maxOutputTokens', async () => {
    const thinking = await ai.models.generateContent({ model: FLASH, contents: 'Hi [sim:tokens=10]' });
    const usage = thinking.usageMetadata;
    expect(usage?.thoughtsTokenCount).toBeGreaterThan(0);
    expect(usage?.totalTokenCount).toBe(
      (usage?.promptTokenCount ?? 0) + (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
    );
    const starved = await ai.models.generateContent({
      model: FLASH,
      contents: 'Hi [sim:tokens=10]',
      config: { maxOutputTokens: 8 },
    });
    expect(starved.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(starved.text).toBeUndefined();
    expect(starved.usageMetadata?.candidatesTokenCount).toBeUndefined();

    const pro = await ai.models
      .generateContent({
        model: 'gemini-2.5-pro',
        contents: 'Hi',
        config: { thinkingConfig: { thinkingBudget: 0 } },
      })
      .catch((error: unknown) => error);
    expect((pro as ApiError).message).toContain(
      'Budget 0 is invalid. This model only works in thinking mode.',
    );
  });

  it('streams several chunks carrying the same text as the whole response', async () => {
    const params = { model: LITE, contents: 'Tell me about trains [sim:tokens=60]' };
    const whole = await ai.models.generateContent(params);
    const chunks = await collect(await ai.models.generateContentStream(params));
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.map((chunk) => chunk.text ?? '').join('')).toBe(whole.text);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(chunks.slice(0, -1).every((chunk) => chunk.candidates?.[0]?.finishReason === undefined)).toBe(
      true,
    );
    expect(chunks.at(-1)?.usageMetadata?.candidatesTokenCount).toBe(60);
    expect(new Set(chunks.map((chunk) => chunk.responseId)).size).toBe(1);
  });

  it('streams thought summaries when includeThoughts is set', async () => {
    const chunks = await collect(
      await ai.models.generateContentStream({
        model: FLASH,
        contents: 'Think first [sim:tokens=5]',
        config: { thinkingConfig: { includeThoughts: true } },
      }),
    );
    const parts = chunks.flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? []);
    expect(parts[0]?.thought).toBe(true);
    expect(parts.at(-1)?.thought).toBeUndefined();
  });

  it('calls a function, then answers its response', async () => {
    const config = { tools: [{ functionDeclarations: [WEATHER] }] };
    const question = { role: 'user', parts: [{ text: 'Weather in Boston? Use get_weather.' }] };
    const call = await ai.models.generateContent({ model: FLASH, contents: [question], config });
    expect(call.functionCalls).toEqual([{ name: 'get_weather', args: { location: 'San Francisco, CA' } }]);
    expect(call.candidates?.[0]?.finishReason).toBe('STOP');
    const callPart = call.candidates?.[0]?.content?.parts?.[0];
    expect(callPart?.thoughtSignature).toBeTruthy();

    const streamed = await collect(
      await ai.models.generateContentStream({ model: FLASH, contents: [question], config }),
    );
    expect(streamed).toHaveLength(1);
    expect(streamed[0]?.functionCalls?.[0]?.name).toBe('get_weather');

    const answer = await ai.models.generateContent({
      model: FLASH,
      contents: [
        question,
        { role: 'model', parts: [callPart ?? {}] },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 15 } } }],
        },
      ],
      config,
    });
    expect(answer.functionCalls).toBeUndefined();
    expect(answer.text?.length).toBeGreaterThan(0);

    const forced = await ai.models.generateContent({
      model: FLASH,
      contents: 'Anything',
      config: { ...config, toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } } },
    });
    expect(forced.functionCalls?.[0]?.name).toBe('get_weather');
  });

  it('ends with the finish reason a directive asks for, withholding blocked content', async () => {
    const blocked = await ai.models.generateContent({
      model: LITE,
      contents: 'Something risky [sim:finish=SAFETY]',
    });
    expect(blocked.candidates?.[0]?.finishReason).toBe('SAFETY');
    expect(blocked.candidates?.[0]?.content).toBeUndefined();
    const chunks = await collect(
      await ai.models.generateContentStream({ model: LITE, contents: 'Something risky [sim:finish=SAFETY]' }),
    );
    expect(chunks.at(-1)?.candidates?.[0]).toEqual({ finishReason: 'SAFETY', index: 0 });
  });

  it('produces JSON for a response schema', async () => {
    const response = await ai.models.generateContent({
      model: LITE,
      contents: 'A city, please',
      config: {
        responseMimeType: 'application/json',
        responseSchema: {
          type: Type.OBJECT,
          properties: { city: { type: Type.STRING }, population: { type: Type.INTEGER } },
          required: ['city', 'population'],
        },
      },
    });
    expect(JSON.parse(response.text ?? '')).toEqual({
      city: expect.any(String),
      population: expect.any(Number),
    });
  });

  it('rejects schema keywords outside the OpenAPI subset, as the real API does', async () => {
    const withConst: FunctionDeclaration = {
      name: 'pick',
      parameters: {
        type: Type.OBJECT,
        properties: { mode: { type: Type.STRING, const: 'fast' } as Record<string, unknown> },
      },
    };
    const error = await apiError(
      ai.models.generateContent({
        model: FLASH,
        contents: 'hi',
        config: { tools: [{ functionDeclarations: [withConst] }] },
      }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain(
      `Unknown name \\"const\\" at 'tools[0].function_declarations[0].parameters.properties[0].value': Cannot find field.`,
    );

    // The SDK strips additionalProperties itself; a raw client sending it gets the service's 400.
    const raw = await fetch(`${sim.url}/v1beta/models/${FLASH}:generateContent?key=${sim.apiKey}`, {
      method: 'POST',
      body: JSON.stringify({
        contents: [{ parts: [{ text: 'hi' }] }],
        generationConfig: {
          responseMimeType: 'application/json',
          responseSchema: {
            type: 'object',
            properties: { a: { type: 'string' } },
            additionalProperties: false,
          },
        },
      }),
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as { error: { status: string; message: string; details: unknown[] } };
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toBe(
      `Invalid JSON payload received. Unknown name "additionalProperties" at 'generation_config.response_schema': Cannot find field.`,
    );
    expect(body.error.details).toEqual([
      {
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [{ field: 'generation_config.response_schema', description: body.error.message }],
      },
    ]);

    // parametersJsonSchema takes JSON Schema as is.
    const jsonSchema = await ai.models.generateContent({
      model: FLASH,
      contents: 'Use pick',
      config: {
        tools: [
          {
            functionDeclarations: [
              {
                name: 'pick',
                parametersJsonSchema: {
                  type: 'object',
                  properties: { mode: { const: 'fast' } },
                  required: ['mode'],
                  additionalProperties: false,
                },
              },
            ],
          },
        ],
      },
    });
    expect(jsonSchema.functionCalls).toEqual([{ name: 'pick', args: { mode: 'fast' } }]);
  });

  it('checks the order of function turns', async () => {
    const error = await apiError(
      ai.models.generateContent({
        model: FLASH,
        contents: [{ role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: {} } }] }],
        config: { tools: [{ functionDeclarations: [WEATHER] }] },
      }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain('function response turn comes immediately after a function call turn');
  });

  it('surfaces auth, unknown models and injected faults as ApiError statuses', async () => {
    const params = { model: LITE, contents: 'hi' };
    const wrongKey = new GoogleGenAI({ apiKey: 'nope', httpOptions: { baseUrl: sim.url } });
    const invalid = await apiError(wrongKey.models.generateContent(params));
    expect(invalid.status).toBe(400);
    expect(invalid.message).toContain('API_KEY_INVALID');
    expect((await apiError(ai.models.generateContent({ ...params, model: 'gemini-0.1' }))).status).toBe(404);

    sim.setFault({ kind: 'rate-limit', retryAfterSeconds: 9 });
    const limited = await apiError(ai.models.generateContent(params));
    expect(limited.status).toBe(429);
    expect(limited.message).toContain('RESOURCE_EXHAUSTED');
    expect(limited.message).toContain('"retryDelay":"9s"');
    const raw = await fetch(`${sim.url}/v1beta/models/${LITE}:generateContent?key=${sim.apiKey}`, {
      method: 'POST',
      body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('9');

    sim.setFault({ kind: 'overloaded' });
    expect((await apiError(ai.models.generateContent(params))).status).toBe(503);
    sim.setFault({ kind: 'http-500' });
    expect((await apiError(ai.models.generateContent(params))).status).toBe(500);
  });

  it('fails once then succeeds for clients that retry', async () => {
    sim.setFault({ kind: 'overloaded', times: 1 });
    sim.clearRequests();
    const retrying = new GoogleGenAI({
      apiKey: sim.apiKey,
      httpOptions: { baseUrl: sim.url, retryOptions: { attempts: 2, initialDelay: 0.01, jitter: 0 } },
    });
    const response = await retrying.models.generateContent({ model: LITE, contents: 'hi' });
    expect(response.text).toBeTruthy();
    expect(sim.requests).toHaveLength(2);
  });

  it('sends an error chunk mid-stream and cuts streams on demand', async () => {
    const params = { model: LITE, contents: 'hi [sim:tokens=100]' };
    sim.setFault({ kind: 'error-event', afterEvents: 2 });
    const received: GenerateContentResponse[] = [];
    const failed = await (async () => {
      for await (const chunk of await ai.models.generateContentStream(params)) received.push(chunk);
    })().catch((error: unknown) => error);
    expect(received).toHaveLength(2);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).status).toBe(503);

    sim.setFault({ kind: 'cut-stream', afterEvents: 1 });
    const cut = await collect(await ai.models.generateContentStream(params)).catch((error: unknown) => error);
    expect(cut).toBeInstanceOf(Error);
  });

  it('accepts ?key= and answers a missing key with 403', async () => {
    const body = JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] });
    const path = `${sim.url}/v1beta/models/${LITE}:generateContent`;
    expect((await fetch(`${path}?key=${sim.apiKey}`, { method: 'POST', body })).status).toBe(200);
    expect(sim.requests.at(-1)?.path).toBe(`/v1beta/models/${LITE}:generateContent?key=REDACTED`);
    const missing = await fetch(path, { method: 'POST', body });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: { status: string } }).error.status).toBe('PERMISSION_DENIED');
  });

  it('lists models and counts tokens', async () => {
    const count = await ai.models.countTokens({ model: FLASH, contents: '12345678' });
    expect(count.totalTokens).toBe(2);
    const names: string[] = [];
    for await (const model of await ai.models.list()) names.push(model.name ?? '');
    expect(names).toEqual(
      expect.arrayContaining([
        'models/gemini-2.5-flash',
        'models/gemini-2.5-pro',
        'models/gemini-2.5-flash-lite',
      ]),
    );
  });
});

describe('Gemini simulator wire format matches the documented shapes', () => {
  it('frames SSE chunks as data: <json>\\r\\n\\r\\n like the documented text stream', async () => {
    const documented = readFixture('text-stream.jsonl');
    const { chunks } = await rawSse(FLASH, {
      contents: [{ role: 'user', parts: [{ text: 'Trains [sim:tokens=60]' }] }],
    });
    expect(chunks.length).toBeGreaterThan(2);
    const finishes = (list: Array<Record<string, unknown>>) =>
      list.map((chunk) => (chunk.candidates as Array<{ finishReason?: string }>)[0]?.finishReason ?? null);
    expect(
      finishes(chunks)
        .slice(0, -1)
        .every((reason) => reason === null),
    ).toBe(true);
    expect(finishes(documented).at(-1)).toBe('STOP');
    expect(finishes(chunks).at(-1)).toBe('STOP');
    expectShapeCovers(documented[0], chunks[0]);
    expectShapeCovers(documented.at(-1), chunks.at(-1));
  });

  it('streams a whole function call in one chunk like the documented one', async () => {
    const [documented] = readFixture('function-call-stream.jsonl');
    const { chunks } = await rawSse(FLASH, {
      contents: [{ role: 'user', parts: [{ text: 'Weather? use get_weather' }] }],
      tools: [{ functionDeclarations: [WEATHER] }],
    });
    expect(chunks).toHaveLength(1);
    expectShapeCovers(documented, chunks[0]);
  });

  it('streams a JSON array when alt=sse is not requested', async () => {
    const response = await fetch(`${sim.url}/v1beta/models/${LITE}:streamGenerateContent?key=${sim.apiKey}`, {
      method: 'POST',
      body: JSON.stringify({ contents: [{ parts: [{ text: 'Trains [sim:tokens=60]' }] }] }),
    });
    expect(response.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const chunks = JSON.parse(await response.text()) as unknown[];
    expect(chunks.length).toBeGreaterThan(2);
  });

  it('answers generateContent in the documented shape', async () => {
    const [documented] = readFixture('generate-content.jsonl');
    const response = await fetch(`${sim.url}/v1beta/models/${LITE}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': sim.apiKey },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'What is a switchyard?' }] }] }),
    });
    expectShapeCovers(documented, await response.json());
  });
});
