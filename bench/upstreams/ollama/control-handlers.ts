/**
 * @module control-handlers
 * The simulator's own endpoints under /__sim/, so a benchmark running in another process can inject
 * faults, slow models down and read what the simulator received. Never part of Ollama's API.
 */
import { parseFault } from './faults.js';
import { type Exchange, sendJson } from './http-io.js';
import type { SimulatorContext } from './simulator-context.js';
import type { RecordedRequest } from './types.js';

export interface ControlState {
  requests: RecordedRequest[];
  abortedRequests(): number;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function handleControl(
  context: SimulatorContext,
  state: ControlState,
  exchange: Exchange,
  route: string,
  bodyText: string,
): void {
  const [status, body] = controlAnswer(context, state, route, bodyText);
  sendJson(exchange.response, status, body);
}

function controlAnswer(
  context: SimulatorContext,
  state: ControlState,
  route: string,
  bodyText: string,
): [number, unknown] {
  const body = parseJson(bodyText);
  if (!body.ok) return [400, { error: 'body is not valid JSON' }];
  switch (route) {
    case 'POST /__sim/fault': {
      const fault = parseFault(body.value);
      if (!fault.ok) return [fault.status, { error: fault.error }];
      context.faults.set(fault.value);
      return [200, { fault: context.faults.current() }];
    }
    case 'GET /__sim/fault':
      return [200, { fault: context.faults.current() }];
    case 'POST /__sim/slowdown': {
      const value = (body.value ?? {}) as { model?: unknown; factor?: unknown };
      if (typeof value.model !== 'string' || typeof value.factor !== 'number' || !(value.factor > 0)) {
        return [400, { error: 'expected {"model": string, "factor": positive number}' }];
      }
      context.setSlowdown(value.model, value.factor);
      return [200, { model: value.model, factor: value.factor }];
    }
    case 'GET /__sim/requests':
      return [200, { requests: state.requests }];
    case 'DELETE /__sim/requests':
      state.requests.length = 0;
      return [200, { requests: [] }];
    case 'GET /__sim/state':
      return [
        200,
        {
          loadedModels: context.loadedEntries().map((entry) => entry.spec.name),
          abortedRequests: state.abortedRequests(),
          fault: context.faults.current(),
        },
      ];
    default:
      return [404, { error: `no simulator control endpoint ${route}` }];
  }
}
