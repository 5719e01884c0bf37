/**
 * @module chat-generation
 * Runs one planned chat answer in real time: waits for the model and a slot, prefills (minus what the
 * slot's cache already holds), then decodes token by token on the performance model's schedule,
 * streaming NDJSON lines or collecting one JSON body, and injects mid-stream faults on the way.
 * The timing fields it reports are what it measured with the monotonic clock.
 */
import { formatTimestamp, monotonicNs, SleepAbortedError, sleep, sleepUntil } from './clock.js';
import { type Exchange, NdjsonWriter, sendJson } from './http-io.js';
import { decodeTimeMs, jitterFactor, prefillTimeMs } from './performance-model.js';
import type { ResponsePlan } from './response-planner.js';
import type { ModelEntry, SimulatorContext } from './simulator-context.js';
import { commonPrefixLength } from './tokenizer.js';
import type { SimulatedFault } from './types.js';
import type { WireChatResponse, WireMessage, WireMetrics } from './wire-types.js';

export interface GenerationInput {
  context: SimulatorContext;
  entry: ModelEntry;
  exchange: Exchange;
  /** The model name as the client wrote it; Ollama echoes it unchanged. */
  modelName: string;
  plan: ResponsePlan;
  promptTokens: readonly string[];
  numCtx: number;
  keepAliveMs: number;
  stream: boolean;
  fault: SimulatedFault | null;
}

/** One generated token and the chunk it completes (tool-call tokens only show up as the final call). */
interface TokenEvent {
  token: string;
  message: WireMessage | null;
}

const defaultErrorLine = 'an error was encountered while running the model: unexpected EOF';

function tokenEvents(plan: ResponsePlan): TokenEvent[] {
  const events: TokenEvent[] = [
    ...plan.thinking.map((token) => ({
      token,
      message: { role: 'assistant', content: '', thinking: token },
    })),
    ...plan.content.map((token) => ({ token, message: { role: 'assistant', content: token } })),
  ];
  const calls = plan.toolCalls;
  plan.toolCallTokens.forEach((token, index) => {
    const last = index === plan.toolCallTokens.length - 1;
    events.push({
      token,
      message: last && calls ? { role: 'assistant', content: '', tool_calls: calls } : null,
    });
  });
  return events;
}

function fullMessage(plan: ResponsePlan): WireMessage {
  const message: WireMessage = { role: 'assistant', content: plan.content.join('') };
  if (plan.thinking.length > 0) message.thinking = plan.thinking.join('');
  if (plan.toolCalls) message.tool_calls = plan.toolCalls;
  return message;
}

/** Mid-stream faults, applied just before the chunk with index `chunksWritten` (or the final one). */
class StreamFaults {
  private malformedSent = false;

  constructor(
    private readonly fault: SimulatedFault | null,
    private readonly input: GenerationInput,
    private readonly writer: NdjsonWriter,
  ) {}

  /** Returns false when the stream must stop here. */
  beforeChunk(chunksWritten: number, final: boolean): boolean {
    const fault = this.fault;
    if (!fault) return true;
    const due = (afterChunks: number): boolean =>
      chunksWritten === afterChunks || (final && chunksWritten < afterChunks);
    if (fault.kind === 'cut-stream' && due(fault.afterChunks)) {
      this.input.exchange.destroy();
      return false;
    }
    if (fault.kind === 'error-line' && due(fault.afterChunks ?? 1)) {
      const error = fault.message ?? defaultErrorLine;
      // Before any line, Ollama can still answer with a status; afterwards only an error line remains.
      if (this.writer.started) {
        this.writer.write({ error });
        this.writer.end();
      } else {
        sendJson(this.input.exchange.response, 500, { error });
      }
      return false;
    }
    if (fault.kind === 'malformed-line' && !this.malformedSent && due(fault.afterChunks ?? 1)) {
      this.malformedSent = true;
      this.writer.writeLine(
        `{"model":"${this.input.modelName}","created_at":"${formatTimestamp()}","message":{"role":"assist`,
      );
    }
    return true;
  }
}

export async function runGeneration(input: GenerationInput): Promise<void> {
  const { context, entry, exchange, plan, promptTokens } = input;
  const { spec, runtime } = entry;
  const signal = exchange.signal;
  const speed = context.speedFactor;
  const requestIndex = context.nextRequestIndex();
  const slowdown = (): number => context.slowdownOf(spec.name);

  const grant = await runtime.acquire(input.numCtx, promptTokens, input.keepAliveMs, signal);
  const promptCount = promptTokens.length;
  // Ollama always evaluates at least the last prompt token, to get the logits of the first output token.
  const cached = Math.min(
    commonPrefixLength(grant.slot.cachedTokens, promptTokens),
    Math.max(0, promptCount - 1),
  );
  let cache: readonly string[] = promptTokens.slice(0, cached);
  const output: string[] = [];
  const writer = new NdjsonWriter(exchange.response);
  const faults = new StreamFaults(input.fault, input, writer);
  try {
    const prefillStart = monotonicNs();
    const prefillMs =
      prefillTimeMs(spec, cached, promptCount, slowdown()) *
      jitterFactor(context.seed, requestIndex, 'prefill');
    await sleep(prefillMs / speed, signal);
    const prefillNs = monotonicNs() - prefillStart;
    cache = promptTokens;

    if (input.fault?.kind === 'stall') await sleep(input.fault.ms, signal);

    const events = tokenEvents(plan);
    const decodeJitter = jitterFactor(context.seed, requestIndex, 'decode');
    const decodeStart = monotonicNs();
    let deadline = decodeStart;
    let previousMs = 0;
    let chunksWritten = 0;
    for (const [index, event] of events.entries()) {
      const cumulativeMs = decodeTimeMs(spec, promptCount, index + 1, 1);
      // Slowdown is read per token, so a benchmark can change conditions in the middle of an answer.
      deadline += BigInt(Math.round(((cumulativeMs - previousMs) * slowdown() * decodeJitter * 1e6) / speed));
      previousMs = cumulativeMs;
      await sleepUntil(deadline, signal);
      output.push(event.token);
      if (!input.stream || !event.message) continue;
      if (!faults.beforeChunk(chunksWritten, false)) return;
      const chunk: WireChatResponse = {
        model: input.modelName,
        created_at: formatTimestamp(),
        message: event.message,
        done: false,
      };
      writer.write(chunk);
      chunksWritten++;
    }
    const evalNs = monotonicNs() - decodeStart;

    const metrics: WireMetrics = {
      total_duration: Number(monotonicNs() - exchange.receivedAtNs),
      load_duration: Number(grant.readyAtNs - exchange.receivedAtNs),
      prompt_eval_count: promptCount - cached,
      prompt_eval_duration: Number(prefillNs),
      eval_count: events.length,
      eval_duration: Number(evalNs),
    };
    const final = (message: WireMessage): WireChatResponse => ({
      model: input.modelName,
      created_at: formatTimestamp(),
      message,
      done: true,
      done_reason: plan.doneReason,
      ...metrics,
    });
    if (input.stream) {
      if (!faults.beforeChunk(chunksWritten, true)) return;
      const last = final({ role: 'assistant', content: '' });
      writer.write(last);
      exchange.recordFinal(last);
      writer.end();
      return;
    }
    respondWhole(input, final(fullMessage(plan)));
  } catch (error) {
    if (!(error instanceof SleepAbortedError)) throw error;
  } finally {
    runtime.release(grant.slot, [...cache, ...output], input.keepAliveMs);
  }
}

/** The non-streamed answer, or the whole-body version of a mid-stream fault. */
function respondWhole(input: GenerationInput, body: WireChatResponse): void {
  const { fault, exchange } = input;
  if (fault?.kind === 'cut-stream') {
    exchange.destroy();
  } else if (fault?.kind === 'error-line') {
    sendJson(exchange.response, 500, { error: fault.message ?? defaultErrorLine });
  } else if (fault?.kind === 'malformed-line') {
    const text = JSON.stringify(body).slice(0, 60);
    exchange.response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    exchange.response.end(text);
  } else {
    sendJson(exchange.response, 200, body);
    exchange.recordFinal(body);
  }
}
