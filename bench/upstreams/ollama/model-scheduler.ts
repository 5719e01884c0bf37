/**
 * @module model-scheduler
 * One simulated model's life in memory, like Ollama's scheduler plus its runner: cold loads, reloads
 * when a request asks for another num_ctx (after in-flight requests drain), a fixed number of parallel
 * slots with a FIFO queue, a per-slot prompt cache, and unloading when keep_alive runs out. A load belongs
 * to the request that started it, as in Ollama (`server/sched.go` waits for the runner with that
 * request's context and expires the runner when it is cancelled): when that request goes away mid-load,
 * the load is abandoned, and a request that was waiting on it starts a load of its own.
 */
import { monotonicNs, SleepAbortedError, wallClockNs } from './clock.js';
import { defaultKeepAliveMs } from './keep-alive.js';
import { loadTimeMs } from './performance-model.js';
import { commonPrefixLength } from './tokenizer.js';
import type { SimulatedModelSpec } from './types.js';

const maxTimerMs = 2 ** 31 - 1;

export interface SchedulerEnvironment {
  speedFactor: number;
  /** The model's current slowdown factor. */
  slowdown(): number;
  /** Jitter multiplier for the next load. */
  loadJitter(): number;
}

/** A parallel slot; it keeps the tokens of its last sequence, which a new prompt may reuse. */
export interface Slot {
  id: number;
  busy: boolean;
  cachedTokens: readonly string[];
  lastUsed: number;
}

export interface SlotGrant {
  slot: Slot;
  /** Whether the model was not ready (unloaded, loading, or loaded with another num_ctx) on arrival. */
  cold: boolean;
  /** Monotonic ns when the model was ready for this request; load_duration ends here. */
  readyAtNs: bigint;
  /** Monotonic ns when a slot was free for it; the gap after readyAtNs is queue time. */
  grantedAtNs: bigint;
}

interface Waiter {
  numCtx: number;
  promptTokens: readonly string[] | null;
  cold: boolean;
  readyAtNs?: bigint;
  resolve(grant: SlotGrant | null): void;
  reject(error: Error): void;
  detach(): void;
}

export class ModelRuntime {
  private state: 'unloaded' | 'loading' | 'loaded' = 'unloaded';
  /** The request whose load is running (while `state` is `loading`). */
  private loadOwner: Waiter | undefined;
  private contextSize = 0;
  private slots: Slot[] = [];
  private readonly queue: Waiter[] = [];
  private keepAliveMs = defaultKeepAliveMs;
  private timer: NodeJS.Timeout | undefined;
  private expiresAtWallNs: bigint | undefined;
  private useCounter = 0;

  constructor(
    readonly spec: SimulatedModelSpec,
    private readonly environment: SchedulerEnvironment,
  ) {}

  get loaded(): boolean {
    return this.state === 'loaded';
  }

  get numCtx(): number {
    return this.contextSize;
  }

  /** When /api/ps should say the model unloads: now + keep_alive while busy, as Ollama does. */
  expiresAt(): bigint {
    const busy = this.slots.some((slot) => slot.busy) || this.queue.length > 0;
    if (!busy && this.expiresAtWallNs !== undefined) return this.expiresAtWallNs;
    return wallClockNs() + this.scaledNs(this.keepAliveMs);
  }

  /** Waits (FIFO) for the model loaded with `numCtx` and a free slot, preferring the slot sharing the longest prefix. */
  acquire(
    numCtx: number,
    promptTokens: readonly string[],
    keepAliveMs: number,
    signal: AbortSignal,
  ): Promise<SlotGrant> {
    return this.enqueue(numCtx, promptTokens, keepAliveMs, signal) as Promise<SlotGrant>;
  }

  /** Waits for the model loaded with `numCtx`, without taking a slot (a chat with no messages). */
  async whenReady(numCtx: number, keepAliveMs: number, signal: AbortSignal): Promise<void> {
    await this.enqueue(numCtx, null, keepAliveMs, signal);
    this.keepAliveMs = keepAliveMs;
    this.scheduleUnloadIfIdle();
  }

  release(slot: Slot, cachedTokens: readonly string[], keepAliveMs: number): void {
    slot.busy = false;
    slot.cachedTokens = cachedTokens;
    slot.lastUsed = ++this.useCounter;
    this.keepAliveMs = keepAliveMs;
    this.pump();
    this.scheduleUnloadIfIdle();
  }

  /** keep_alive 0 with no messages: unload now, or as soon as in-flight requests finish. */
  unload(): void {
    this.keepAliveMs = 0;
    this.scheduleUnloadIfIdle();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const waiter of this.queue.splice(0)) {
      waiter.detach();
      waiter.reject(new SleepAbortedError());
    }
    this.state = 'unloaded';
    this.slots = [];
  }

  private scaledNs(ms: number): bigint {
    if (!Number.isFinite(ms)) return 100n * 365n * 86_400n * 1_000_000_000n;
    return BigInt(Math.round((ms / this.environment.speedFactor) * 1e6));
  }

  private enqueue(
    numCtx: number,
    promptTokens: readonly string[] | null,
    keepAliveMs: number,
    signal: AbortSignal,
  ): Promise<SlotGrant | null> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new SleepAbortedError());
        return;
      }
      const ready = this.state === 'loaded' && this.contextSize === numCtx;
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        if (this.state === 'loading' && this.loadOwner === waiter) this.abandonLoad();
        reject(new SleepAbortedError());
        this.pump();
        this.scheduleUnloadIfIdle();
      };
      const waiter: Waiter = {
        numCtx,
        promptTokens,
        cold: !ready,
        readyAtNs: ready ? monotonicNs() : undefined,
        resolve,
        reject,
        detach: () => signal.removeEventListener('abort', onAbort),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.keepAliveMs = keepAliveMs;
      this.cancelUnload();
      this.queue.push(waiter);
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.state !== 'loading') {
      const head = this.queue[0];
      if (!head) return;
      if (this.state === 'loaded' && this.contextSize === head.numCtx) {
        head.readyAtNs ??= monotonicNs();
        if (head.promptTokens === null) {
          this.grant(head, null);
          continue;
        }
        const slot = this.pickSlot(head.promptTokens);
        if (!slot) return;
        slot.busy = true;
        this.grant(head, slot);
        continue;
      }
      if (this.slots.some((slot) => slot.busy)) return;
      this.startLoad(head.numCtx);
    }
  }

  private grant(waiter: Waiter, slot: Slot | null): void {
    this.queue.shift();
    waiter.detach();
    const readyAtNs = waiter.readyAtNs ?? monotonicNs();
    waiter.resolve(slot ? { slot, cold: waiter.cold, readyAtNs, grantedAtNs: monotonicNs() } : null);
  }

  private pickSlot(promptTokens: readonly string[]): Slot | undefined {
    let best: Slot | undefined;
    let bestShared = -1;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const shared = commonPrefixLength(slot.cachedTokens, promptTokens);
      if (shared > bestShared || (shared === bestShared && best && slot.lastUsed < best.lastUsed)) {
        best = slot;
        bestShared = shared;
      }
    }
    return best;
  }

  private startLoad(numCtx: number): void {
    this.state = 'loading';
    this.loadOwner = this.queue[0];
    this.slots = [];
    this.expiresAtWallNs = undefined;
    for (const waiter of this.queue) {
      // Someone who was ready for the old num_ctx now waits for a load again.
      if (waiter.numCtx !== numCtx) {
        waiter.cold = true;
        waiter.readyAtNs = undefined;
      }
    }
    const ms = loadTimeMs(this.spec, numCtx, this.environment.slowdown()) * this.environment.loadJitter();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.loadOwner = undefined;
      this.state = 'loaded';
      this.contextSize = numCtx;
      // Everyone waiting for this num_ctx stops waiting on the load now, even if slots make them queue on.
      const now = monotonicNs();
      for (const waiter of this.queue) if (waiter.numCtx === numCtx) waiter.readyAtNs ??= now;
      this.slots = Array.from({ length: Math.max(1, this.spec.parallel) }, (_, id) => ({
        id,
        busy: false,
        cachedTokens: [],
        lastUsed: 0,
      }));
      this.pump();
      this.scheduleUnloadIfIdle();
    }, ms / this.environment.speedFactor);
  }

  /** The request that started the load went away: the runner is expired before it was ready. */
  private abandonLoad(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.loadOwner = undefined;
    this.unloadNow();
    // Whoever still waits is cold again, from now.
    for (const waiter of this.queue) {
      waiter.cold = true;
      waiter.readyAtNs = undefined;
    }
  }

  private cancelUnload(): void {
    if (this.state !== 'loading') {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.expiresAtWallNs = undefined;
  }

  private scheduleUnloadIfIdle(): void {
    if (this.state !== 'loaded' || this.queue.length > 0 || this.slots.some((slot) => slot.busy)) return;
    this.cancelUnload();
    if (this.keepAliveMs <= 0) {
      this.unloadNow();
      return;
    }
    this.expiresAtWallNs = wallClockNs() + this.scaledNs(this.keepAliveMs);
    const delayMs = this.keepAliveMs / this.environment.speedFactor;
    // Beyond setTimeout's 32-bit range the model simply stays loaded (the run will not last that long).
    if (delayMs > maxTimerMs) return;
    this.timer = setTimeout(() => this.unloadNow(), delayMs);
    this.timer.unref();
  }

  private unloadNow(): void {
    this.timer = undefined;
    this.state = 'unloaded';
    this.contextSize = 0;
    this.slots = [];
    this.expiresAtWallNs = undefined;
  }
}
