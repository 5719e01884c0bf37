/**
 * @module providers/ollama/ollama-provider
 * The Ollama adapter, on the official `ollama` client and Ollama's native `/api/chat` (never its `/v1`
 * endpoint, which drops the timing fields the profiler lives on). It sizes `num_ctx` per request, keeps
 * model metadata cached, and turns the NDJSON stream into internal events, ending with the engine's
 * timings.
 */
import { Ollama, type ChatResponse as OllamaChatResponse } from 'ollama';
import type { Config } from '../../config/schema.js';
import { GatewayError, invalidRequest } from '../../errors.js';
import type { ChatRequest } from '../../openai/chat-request.js';
import { measureRequest } from '../../openai/request-size.js';
import type {
  ChatCallContext,
  ChatEvent,
  EngineTimings,
  FinishReason,
  ProviderAdapter,
  ProviderHealth,
  ProviderModel,
} from '../provider.js';
import { startRequestDeadline } from '../request-deadline.js';
import { chooseContextSize } from './context-size.js';
import { fromOllamaError, ollamaUnreachable } from './errors.js';
import { createOllamaTransport } from './http-transport.js';
import { parseKeepAlive } from './keep-alive.js';
import { toOllamaChatRequest } from './request.js';

export interface OllamaProviderOptions {
  config: Config['ollama'];
  /** Downloads images given by URL (Ollama only takes inline images); a fetch that follows redirects. */
  imageFetch: typeof fetch;
  /** Milliseconds clock, injected so caches can be tested. */
  now: () => number;
  /** Random source for generated tool-call ids. */
  random: () => number;
}

/** Bound on Ollama's quick calls (tags, show, ps, version); generation has `ollama.timeout_ms`. */
const controlCallTimeoutMs = 30_000;
/** Output budget assumed for context sizing when the client sets no `max_tokens`. */
const defaultOutputBudget = 2048;
/** Images by URL are downloaded for Ollama, which only takes inline images; bounded so a URL cannot exhaust memory. */
const maxImageBytes = 20 * 1024 * 1024;

export function createOllamaProvider(options: OllamaProviderOptions): ProviderAdapter & {
  /** Context length of a model from /api/show (cached), for routing and sizing. */
  contextLengthOf(model: string, signal?: AbortSignal): Promise<number | undefined>;
} {
  const host = options.config.host.replace(/\/+$/, '');
  const transport = createOllamaTransport();
  // Model listing, /api/show, /api/ps and /api/version carry no caller's signal: bounded here, so an
  // engine that accepts connections but never answers cannot hold model discovery forever.
  const sharedClient = new Ollama({
    host,
    fetch: (input, init) => transport.fetchWith(AbortSignal.timeout(controlCallTimeoutMs))(input, init),
  });
  let modelsCache: { at: number; models: ProviderModel[] } | undefined;
  const contextLengths = new Map<string, Promise<number | undefined>>();
  const lastContextSize = new Map<string, number>();

  /**
   * A client whose exchanges follow `signal` (the official client cannot abort before the response
   * starts). `signal` replaces the client's own per-request signal: that one only aborts through the
   * client's `abort()`, which switchyard never calls.
   */
  const clientFor = (signal: AbortSignal) => new Ollama({ host, fetch: transport.fetchWith(signal) });

  let refreshing: Promise<ProviderModel[]> | undefined;
  function refreshModels(): Promise<ProviderModel[]> {
    refreshing ??= sharedClient
      .list()
      .then((response) => {
        const listed = response.models.map((model) => ({ name: model.name, sizeBytes: model.size }));
        // The configured default model first: it is the one `auto` prefers when nothing else decides.
        const defaultModel = options.config.default_model;
        const models = [
          ...listed.filter((model) => model.name === defaultModel),
          ...listed.filter((model) => model.name !== defaultModel),
        ];
        modelsCache = { at: options.now(), models };
        return models;
      })
      .catch((error: unknown) => {
        // The engine went away: forget the list, so the next request reports it as down.
        modelsCache = undefined;
        throw fromOllamaError(error, { host, model: '', started: false });
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  }

  /**
   * The installed models, from /api/tags. A stale list is served at once while it is refreshed in the
   * background, so model discovery never adds a round trip to a request once the cache is warm.
   */
  async function listModels(): Promise<ProviderModel[]> {
    if (!modelsCache) return refreshModels();
    if (options.now() - modelsCache.at >= options.config.models_cache_ms) {
      refreshModels().catch(() => undefined);
    }
    return modelsCache.models;
  }

  function contextLengthOf(model: string): Promise<number | undefined> {
    let cached = contextLengths.get(model);
    if (!cached) {
      cached = sharedClient
        .show({ model })
        .then((info) => {
          const modelInfo = (info.model_info ?? {}) as unknown as Record<string, unknown>;
          for (const [key, value] of Object.entries(modelInfo)) {
            if (key.endsWith('.context_length') && typeof value === 'number') return value;
          }
          return undefined;
        })
        .catch((error: unknown) => {
          contextLengths.delete(model);
          throw fromOllamaError(error, { host, model, started: false });
        });
      contextLengths.set(model, cached);
    }
    return cached;
  }

  async function health(): Promise<ProviderHealth> {
    try {
      const [version, running] = await Promise.all([sharedClient.version(), sharedClient.ps()]);
      return {
        status: 'ready',
        version: version.version,
        loadedModels: running.models.map((model) => ({
          name: model.name,
          sizeVramBytes: model.size_vram,
          expiresAt: String(model.expires_at),
          ...contextLengthField(model),
        })),
      };
    } catch {
      return { status: 'down', message: ollamaUnreachable(host).message };
    }
  }

  async function* chat(request: ChatRequest, context: ChatCallContext): AsyncGenerator<ChatEvent> {
    const model = context.model;
    let started = false;
    // Bounds a generation that never ends (ollama.timeout_ms); released as soon as the call ends.
    const deadline = startRequestDeadline(context.signal, options.config.timeout_ms);
    try {
      const size = measureRequest(request);
      const sizing = chooseContextSize({
        estimatedPromptTokens: size.estimatedTokens,
        outputTokens: request.maxTokens ?? defaultOutputBudget,
        modelContextLength: await contextLengthOf(model),
        previous: lastContextSize.get(model),
        minimum: options.config.min_context,
        step: options.config.context_step,
      });
      if (!sizing.fits) {
        throw new GatewayError(
          'context_overflow',
          `The prompt (about ${size.estimatedTokens} tokens) does not fit \`ollama/${model}\`'s ${sizing.modelContextLength}-token context — shorten it or use a model with a longer context.`,
          { provider: 'ollama', code: 'context_length_exceeded', param: 'messages' },
        );
      }
      lastContextSize.set(model, sizing.numCtx);
      const body = toOllamaChatRequest(request, {
        model,
        numCtx: sizing.numCtx,
        keepAlive: options.config.keep_alive,
        // Only a request with images can have any to download: the others skip an async call.
        downloadedImages:
          size.imageCount > 0
            ? await downloadImages(request, options.imageFetch, deadline.signal)
            : noDownloadedImages,
      });
      const stream = await clientFor(deadline.signal).chat({ ...body, stream: true });
      // Ollama answered with a 200: a failure from here on is a cut stream, not an engine that is down.
      started = true;
      // The messages are turned into events here rather than in a generator of their own: one async
      // generator less for every line of every answer (each step through one costs promises and
      // microtask turns).
      const translation = new StreamTranslation(sizing.numCtx, options.random);
      // The official client ends the stream after the `done` line, and fails it on an `{"error": …}` line
      // or on an end before `done`.
      for await (const chunk of stream) {
        for (const event of translation.eventsOf(chunk)) yield event;
      }
    } catch (error) {
      if (deadline.expired()) {
        throw new GatewayError(
          'timeout',
          `Ollama did not finish answering with \`ollama/${model}\` within ${options.config.timeout_ms} ms — ask for fewer tokens, or raise ollama.timeout_ms in the config.`,
          { provider: 'ollama', cause: error },
        );
      }
      throw fromOllamaError(error, { host, model, started });
    } finally {
      deadline.dispose();
    }
  }

  return {
    id: 'ollama',
    locality: 'local',
    residencyMs: parseKeepAlive(options.config.keep_alive),
    disabledReason: undefined,
    listModels,
    health,
    chat,
    contextLengthOf,
    // Local inference costs nothing per token.
    costOf: () => undefined,
    close: () => transport.close(),
  };
}

/** Ollama's messages as internal events, one message at a time. */
class StreamTranslation {
  private toolCallCount = 0;

  constructor(
    private readonly numCtx: number,
    private readonly random: () => number,
  ) {}

  /** The events of one message. */
  eventsOf(chunk: OllamaChatResponse): ChatEvent[] {
    const events: ChatEvent[] = [];
    const message = chunk.message;
    if (message?.thinking) events.push({ type: 'reasoning-delta', text: message.thinking });
    if (message?.content) events.push({ type: 'text-delta', text: message.content });
    for (const call of message?.tool_calls ?? []) {
      const index = this.toolCallCount++;
      const id = (call as { id?: string }).id || generateCallId(this.random);
      events.push({ type: 'tool-call-start', index, id, name: call.function.name });
      events.push({
        type: 'tool-call-delta',
        index,
        argumentsDelta: JSON.stringify(call.function.arguments ?? {}),
      });
    }
    if (chunk.done) {
      const engine: EngineTimings = {
        loadDurationNs: chunk.load_duration ?? 0,
        promptEvalCount: chunk.prompt_eval_count ?? 0,
        promptEvalDurationNs: chunk.prompt_eval_duration ?? 0,
        evalCount: chunk.eval_count ?? 0,
        evalDurationNs: chunk.eval_duration ?? 0,
        totalDurationNs: chunk.total_duration ?? 0,
        doneReason: chunk.done_reason ?? 'stop',
        contextSize: this.numCtx,
      };
      events.push({
        type: 'finish',
        finishReason: finishReasonOf(engine.doneReason, this.toolCallCount),
        usage: { promptTokens: engine.promptEvalCount, completionTokens: engine.evalCount },
        engine,
      });
    }
    return events;
  }
}

/** `context_length` is in /api/ps since Ollama 0.6; the client's types predate it. */
function contextLengthField(model: object): { contextLength?: number } {
  const value = (model as { context_length?: unknown }).context_length;
  return typeof value === 'number' ? { contextLength: value } : {};
}

function finishReasonOf(doneReason: string, toolCallCount: number): FinishReason {
  if (doneReason === 'length') return 'length';
  return toolCallCount > 0 ? 'tool_calls' : 'stop';
}

const noDownloadedImages: ReadonlyMap<string, string> = new Map();

const idAlphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** OpenAI-style `call_…` id, for Ollama versions that give tool calls none. */
function generateCallId(random: () => number): string {
  let id = 'call_';
  for (let index = 0; index < 24; index++) id += idAlphabet[Math.floor(random() * idAlphabet.length)];
  return id;
}

async function downloadImages(
  request: ChatRequest,
  fetchImpl: typeof fetch,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const downloaded = new Map<string, string>();
  for (const [messageIndex, message] of request.messages.entries()) {
    if (message.role !== 'user') continue;
    for (const [partIndex, part] of message.content.entries()) {
      if (part.type !== 'image' || part.source.kind !== 'url' || downloaded.has(part.source.url)) continue;
      const param = `messages.${messageIndex}.content.${partIndex}.image_url.url`;
      let response: Response;
      try {
        response = await fetchImpl(part.source.url, { signal });
      } catch (error) {
        if (signal.aborted) throw error;
        throw invalidRequest(
          `${param}: the image could not be downloaded — send it as a base64 data URL instead.`,
          param,
        );
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (!response.ok || bytes.byteLength > maxImageBytes) {
        throw invalidRequest(
          `${param}: the image could not be downloaded (HTTP ${response.status}, ${bytes.byteLength} bytes; limit ${maxImageBytes}) — send it as a base64 data URL instead.`,
          param,
        );
      }
      downloaded.set(part.source.url, Buffer.from(bytes).toString('base64'));
    }
  }
  return downloaded;
}
