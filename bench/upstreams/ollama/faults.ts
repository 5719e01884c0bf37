/**
 * @module faults
 * The fault currently injected, its scope (one model or all) and its remaining count, shared by the
 * in-process API and the HTTP control endpoint so a separate process can break the server too.
 */
import type { Checked } from './chat-request.js';
import { normalizeModelName } from './model-catalog.js';
import type { SimulatedFault, SimulatedFaultKind } from './types.js';

const kinds: ReadonlySet<SimulatedFaultKind> = new Set([
  'none',
  'refuse',
  'http-500',
  'model-not-found',
  'cut-stream',
  'stall',
  'malformed-line',
  'error-line',
]);

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Validates a fault received as JSON; null and `{kind:"none"}` mean "no fault". */
export function parseFault(value: unknown): Checked<SimulatedFault | null> {
  if (value === null || value === undefined) return { ok: true, value: null };
  if (typeof value !== 'object' || Array.isArray(value))
    return { ok: false, status: 400, error: 'fault must be an object or null' };
  const fault = value as Record<string, unknown>;
  const kind = fault.kind;
  if (typeof kind !== 'string' || !kinds.has(kind as SimulatedFaultKind)) {
    return {
      ok: false,
      status: 400,
      error: `unknown fault kind ${JSON.stringify(kind)}; expected one of ${[...kinds].join(', ')}`,
    };
  }
  if (kind === 'none') return { ok: true, value: null };
  if (fault.model !== undefined && typeof fault.model !== 'string')
    return { ok: false, status: 400, error: 'model must be a string' };
  if (fault.times !== undefined && !(isNonNegativeInteger(fault.times) && fault.times > 0)) {
    return { ok: false, status: 400, error: 'times must be a positive integer' };
  }
  if (kind === 'cut-stream' && !isNonNegativeInteger(fault.afterChunks)) {
    return { ok: false, status: 400, error: 'cut-stream needs afterChunks, a non-negative integer' };
  }
  if (kind === 'stall' && !(typeof fault.ms === 'number' && fault.ms >= 0)) {
    return { ok: false, status: 400, error: 'stall needs ms, a non-negative number' };
  }
  if (fault.afterChunks !== undefined && !isNonNegativeInteger(fault.afterChunks)) {
    return { ok: false, status: 400, error: 'afterChunks must be a non-negative integer' };
  }
  if (fault.message !== undefined && typeof fault.message !== 'string')
    return { ok: false, status: 400, error: 'message must be a string' };
  return { ok: true, value: fault as SimulatedFault };
}

/** Where a request stands when the controller is asked: before its body is read, or as a chat for a model. */
export type FaultSite = { stage: 'connection' } | { stage: 'chat'; model: string };

export class FaultController {
  private fault: SimulatedFault | null = null;
  private remaining = Number.POSITIVE_INFINITY;

  set(fault: SimulatedFault | null): void {
    this.fault = fault && fault.kind !== 'none' ? { ...fault } : null;
    this.remaining =
      this.fault && 'times' in this.fault && this.fault.times !== undefined ? this.fault.times : Infinity;
  }

  current(): SimulatedFault | null {
    return this.fault;
  }

  /**
   * The fault to apply at this site, consuming one of its `times`. An unscoped `refuse` applies at the
   * connection stage to every request; everything else applies to chat requests for the scoped model.
   */
  take(site: FaultSite): SimulatedFault | null {
    const fault = this.fault;
    if (!fault || fault.kind === 'none') return null;
    const connectionLevel = fault.kind === 'refuse' && fault.model === undefined;
    if (connectionLevel !== (site.stage === 'connection')) return null;
    if (site.stage === 'chat' && fault.model !== undefined) {
      if (normalizeModelName(fault.model) !== normalizeModelName(site.model)) return null;
    }
    this.remaining -= 1;
    if (this.remaining <= 0) this.set(null);
    return fault;
  }
}
