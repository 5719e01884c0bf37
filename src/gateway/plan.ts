/**
 * @module gateway/plan
 * Turns the client's model choice into the ordered attempts the runner executes. A concrete model is one
 * attempt. `auto` is delegated to the router passed in, which decides from measured performance.
 */
import type { ChatRequest } from '../openai/chat-request.js';
import type { PlannedAttempt } from './attempt-runner.js';
import type { ModelCatalog, ResolvedModel } from './model-catalog.js';

export interface Plan {
  attempts: PlannedAttempt[];
  /** Whether routing chose (auto) or the client named the model. */
  routed: boolean;
  reason?: string;
  sentence?: string;
  complexity?: string;
  predictedTtftMs?: number;
  predictedTotalMs?: number;
}

/** Decides the attempts for a routed (`auto`) request. */
export type AutoRouter = (input: {
  request: ChatRequest;
  headers: Headers;
  resolved: Extract<ResolvedModel, { kind: 'auto' }>;
  catalog: ModelCatalog;
  signal: AbortSignal;
}) => Promise<Plan>;

export async function planAttempts(
  resolved: ResolvedModel,
  input: {
    request: ChatRequest;
    headers: Headers;
    catalog: ModelCatalog;
    signal: AbortSignal;
    router: AutoRouter;
  },
): Promise<Plan> {
  if (resolved.kind === 'model') {
    return {
      attempts: [{ provider: resolved.provider, model: resolved.model }],
      routed: false,
      reason: 'explicit',
    };
  }
  return input.router({ ...input, resolved });
}
