/**
 * @module Fault injection shared by the simulated providers. A test arms one fault (through a method or
 * `POST /__sim/fault`), optionally for a number of requests and one model, to exercise retries, fallback
 * and stream-interruption handling; each simulator maps the kind onto its provider's own error.
 */
import { isObject } from './json-object.js';

interface FaultScope {
  /** How many matching requests fail; afterwards the fault clears itself. Unlimited when absent. */
  readonly times?: number;
  /** Only requests for this model id fail. */
  readonly model?: string;
}

/** One armed failure; `afterEvents` counts SSE events (Anthropic) or chunks (Gemini) already sent. */
export type SimulatorFault = FaultScope &
  (
    | { readonly kind: 'rate-limit'; readonly retryAfterSeconds?: number }
    | { readonly kind: 'overloaded' }
    | { readonly kind: 'http-500' }
    | { readonly kind: 'cut-stream'; readonly afterEvents: number }
    | { readonly kind: 'stall'; readonly ms: number }
    | { readonly kind: 'error-event'; readonly afterEvents?: number }
  );

export type FaultKind = SimulatorFault['kind'];

const STREAM_ONLY: ReadonlySet<FaultKind> = new Set(['cut-stream', 'error-event']);

/** Validates a fault received as JSON; `null`, `{}` or `{"kind":null}` clear the current fault. */
export function parseFault(value: unknown): SimulatorFault | null {
  if (value === null || (isObject(value) && (value.kind === undefined || value.kind === null))) return null;
  if (!isObject(value) || typeof value.kind !== 'string')
    throw new Error('fault must be an object with a kind');
  const scope: { times?: number; model?: string } = {};
  if (value.times !== undefined) scope.times = positiveInteger(value.times, 'times');
  if (value.model !== undefined) {
    if (typeof value.model !== 'string') throw new Error('model must be a string');
    scope.model = value.model;
  }
  switch (value.kind) {
    case 'rate-limit':
      return value.retryAfterSeconds === undefined
        ? { ...scope, kind: 'rate-limit' }
        : {
            ...scope,
            kind: 'rate-limit',
            retryAfterSeconds: nonNegative(value.retryAfterSeconds, 'retryAfterSeconds'),
          };
    case 'overloaded':
    case 'http-500':
      return { ...scope, kind: value.kind };
    case 'cut-stream':
      return { ...scope, kind: 'cut-stream', afterEvents: nonNegative(value.afterEvents, 'afterEvents') };
    case 'stall':
      return { ...scope, kind: 'stall', ms: nonNegative(value.ms, 'ms') };
    case 'error-event':
      return value.afterEvents === undefined
        ? { ...scope, kind: 'error-event' }
        : { ...scope, kind: 'error-event', afterEvents: nonNegative(value.afterEvents, 'afterEvents') };
    default:
      throw new Error(
        `unknown fault kind ${JSON.stringify(value.kind)}: use rate-limit, overloaded, http-500, cut-stream, stall or error-event`,
      );
  }
}

/** Holds the armed fault and hands it to the requests it applies to, counting down `times`. */
export class FaultController {
  #fault: SimulatorFault | null = null;
  #remaining = Number.POSITIVE_INFINITY;

  set(fault: SimulatorFault | null): void {
    this.#fault = fault;
    this.#remaining = fault?.times ?? Number.POSITIVE_INFINITY;
  }

  get current(): SimulatorFault | null {
    return this.#fault;
  }

  /** The fault this request must suffer, if any; stream-only kinds leave non-streaming requests alone. */
  take(model: string, streaming: boolean): SimulatorFault | undefined {
    const fault = this.#fault;
    if (!fault || this.#remaining <= 0) return undefined;
    if (fault.model !== undefined && fault.model !== model) return undefined;
    if (!streaming && STREAM_ONLY.has(fault.kind)) return undefined;
    this.#remaining--;
    if (this.#remaining <= 0) this.#fault = null;
    return fault;
  }
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer`);
  }
  return value;
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number`);
  }
  return value;
}
