/**
 * @module bench/routing/oracle
 * The oracle strategy's knowledge: the simulated Ollama's true timings for a request sent now. It uses
 * the simulator's own performance model (`predictTimings`, the seeded jitter) and keeps the state the
 * simulator keeps — which num_ctx the model is loaded with, when keep-alive unloads it, when each
 * parallel slot frees up and what each slot has cached, the slowdown — from the requests it sent itself.
 * It sends a request to the local model exactly when that model would meet the deadlines.
 */
import { parseChatRequest } from '../../src/openai/chat-request.js';
import { measureRequest } from '../../src/openai/request-size.js';
import { chooseContextSize } from '../../src/providers/ollama/context-size.js';
import { normalQuantile } from '../../src/routing/normal-distribution.js';
import {
  commonPrefixLength,
  defaultSimulatedModels,
  effectiveNumCtx,
  fitPromptTokens,
  jitterFactor,
  loadTimeMs,
  predictTimings,
  type SimulatedModelSpec,
} from '../upstreams/ollama/index.js';
import { answerLengthDistribution, type WorkloadRequest } from './workload.js';

export interface OracleSettings {
  model: string;
  speed: number;
  seed: number;
  /** Simulated ms. */
  keepAliveMs: number;
  /** switchyard's ollama.min_context and context_step. */
  minContext: number;
  contextStep: number;
  /** Real ms switchyard and HTTP add to every local answer (measured beforehand). */
  overheadMs: number;
  /**
   * When set, the oracle does not know how long answers will be: it decides on this quantile of the
   * client's true length distribution, and expects a running answer to take the client's median until
   * it ends. Everything else it still knows. What the oracle's share owes to knowing answer lengths.
   */
  lengthQuantile?: number;
}

export interface TruePrediction {
  /** Real ms from now. */
  ttftMs: number;
  totalMs: number;
  cold: boolean;
}

interface SlotState {
  freeAt: number;
  cached: readonly string[];
  /** The request whose predicted end `freeAt` is, so its real end can replace it. */
  owner: number | undefined;
}

interface Plan {
  prediction: TruePrediction;
  numCtx: number;
  slot: number;
  startAt: number;
  endAt: number;
  tokens: readonly string[];
  cold: boolean;
}

export class Oracle {
  private readonly spec: SimulatedModelSpec;
  private slowdown = 1;
  private loadedCtx: number | undefined;
  private lastContextSize: number | undefined;
  private slots: SlotState[] = [];
  private requestCounter = 0;
  private loadCounter = 0;

  constructor(private readonly settings: OracleSettings) {
    const spec = defaultSimulatedModels.find((model) => model.name === settings.model);
    if (!spec) throw new Error(`unknown simulated model ${settings.model}`);
    this.spec = spec;
  }

  /** The model is `factor` times slower from `now` on: what is still running takes longer too. */
  setSlowdown(factor: number, now: number): void {
    const stretch = factor / this.slowdown;
    for (const slot of this.slots) if (slot.freeAt > now) slot.freeAt = now + (slot.freeAt - now) * stretch;
    this.slowdown = factor;
  }

  /** True times if `request` were sent to the local model at `now` (real ms, performance.now()). */
  predict(request: WorkloadRequest, now: number): TruePrediction {
    const quantile = this.settings.lengthQuantile;
    return (
      this.plan(request, now, quantile === undefined ? undefined : lengthAt(request, quantile))
        ?.prediction ?? {
        ttftMs: Number.POSITIVE_INFINITY,
        totalMs: Number.POSITIVE_INFINITY,
        cold: false,
      }
    );
  }

  /** Records that `request` was sent to the local model at `now`. */
  commit(request: WorkloadRequest, now: number): void {
    const blind = this.settings.lengthQuantile !== undefined;
    const plan = this.plan(request, now, blind ? lengthAt(request, 0.5) : undefined);
    if (!plan) return;
    if (plan.cold) {
      this.loadCounter += 1;
      this.slots = Array.from({ length: Math.max(1, this.spec.parallel) }, () => ({
        freeAt: plan.startAt,
        cached: [],
        owner: undefined,
      }));
    }
    this.loadedCtx = plan.numCtx;
    this.lastContextSize = plan.numCtx;
    this.requestCounter += 1;
    const slot = this.slots[plan.slot]!;
    slot.freeAt = plan.endAt;
    slot.cached = plan.tokens;
    slot.owner = request.index;
  }

  /** A local request ended at `now`: its slot is free from then, whatever was predicted. */
  finished(request: WorkloadRequest, now: number): void {
    for (const slot of this.slots) {
      if (slot.owner !== request.index) continue;
      slot.freeAt = now;
      slot.owner = undefined;
    }
  }

  /** Undefined when the prompt does not fit the model's context (switchyard would refuse it). */
  /** `assumedOutputTokens`: the answer's length to plan with, when not its true one. */
  private plan(request: WorkloadRequest, now: number, assumedOutputTokens?: number): Plan | undefined {
    const { speed } = this.settings;
    const body = {
      model: `ollama/${this.spec.name}`,
      max_tokens: request.maxTokens,
      messages: [
        { role: 'system', content: request.system },
        { role: 'user', content: request.user },
      ],
    };
    const size = measureRequest(parseChatRequest(body));
    const sizing = chooseContextSize({
      estimatedPromptTokens: size.estimatedTokens,
      outputTokens: request.maxTokens,
      modelContextLength: this.spec.contextLength,
      previous: this.lastContextSize,
      minimum: this.settings.minContext,
      step: this.settings.contextStep,
    });
    if (!sizing.fits) return undefined;
    const numCtx = effectiveNumCtx(this.spec, sizing.numCtx);
    const { tokens } = fitPromptTokens(this.spec, body.messages, undefined, numCtx);

    // A slot whose answer is still running is busy at least until now, whatever its planned end said (the
    // length-blind oracle plans with the median length, and a longer answer is still running past it).
    for (const slot of this.slots) if (slot.owner !== undefined) slot.freeAt = Math.max(slot.freeAt, now);
    // When the model is ready for this request: now, after a load, or after a reload once slots drain.
    const busyUntil = Math.max(now, ...this.slots.map((slot) => slot.freeAt));
    const keptUntil =
      Math.max(...this.slots.map((slot) => slot.freeAt), 0) + this.settings.keepAliveMs / speed;
    const loaded = this.loadedCtx !== undefined && now < keptUntil;
    const cold = !loaded || this.loadedCtx !== numCtx;
    let readyAt = now;
    if (cold) {
      const load =
        loadTimeMs(this.spec, numCtx, this.slowdown) *
        jitterFactor(this.settings.seed, this.loadCounter, 'load');
      readyAt = (loaded ? busyUntil : now) + load / speed;
    }
    // A free slot, preferring the one sharing the longest prefix (slots are empty after a load).
    const slots = cold
      ? Array.from({ length: Math.max(1, this.spec.parallel) }, () => ({
          freeAt: readyAt,
          cached: [] as string[],
        }))
      : this.slots;
    let slot = 0;
    let startAt = Number.POSITIVE_INFINITY;
    let shared = -1;
    for (const [index, candidate] of slots.entries()) {
      const start = Math.max(readyAt, candidate.freeAt);
      const common = cold ? 0 : commonPrefixLength(candidate.cached, tokens);
      const sooner = start < startAt - 1e-6;
      const sameTime = Math.abs(start - startAt) <= 1e-6;
      if (sooner || (sameTime && common > shared)) {
        slot = index;
        startAt = start;
        shared = common;
      }
    }
    const cached = Math.min(Math.max(0, shared), Math.max(0, tokens.length - 1));
    const outputTokens = Math.min(assumedOutputTokens ?? request.outputTokens, request.maxTokens);
    const timings = predictTimings(this.spec, {
      promptTokens: tokens.length,
      cachedPromptTokens: cached,
      outputTokens,
      numCtx,
      cold: false,
      slowdown: this.slowdown,
    });
    const index = this.requestCounter;
    const prefillMs = timings.prefillMs * jitterFactor(this.settings.seed, index, 'prefill');
    const decodeJitter = jitterFactor(this.settings.seed, index, 'decode');
    const firstTokenMs =
      predictTimings(this.spec, {
        promptTokens: tokens.length,
        cachedPromptTokens: tokens.length,
        outputTokens: 1,
        numCtx,
        cold: false,
        slowdown: this.slowdown,
      }).decodeMs * decodeJitter;
    const decodeMs = timings.decodeMs * decodeJitter;
    const overhead = this.settings.overheadMs;
    const ttftMs = startAt - now + (prefillMs + firstTokenMs) / speed + overhead;
    const totalMs = startAt - now + (prefillMs + decodeMs) / speed + overhead;
    return {
      prediction: { ttftMs, totalMs, cold },
      numCtx,
      slot,
      startAt,
      endAt: startAt + (prefillMs + decodeMs) / speed,
      tokens,
      cold,
    };
  }
}

/** The `quantile` of the request's client's answer lengths. */
function lengthAt(request: WorkloadRequest, quantile: number): number {
  const { median, spread, min, max } = answerLengthDistribution(request.client);
  return Math.min(max, Math.max(min, Math.round(median * Math.exp(spread * normalQuantile(quantile)))));
}
