/**
 * @module providers/ollama/context-size
 * Chooses `num_ctx` for each Ollama request. Ollama's default context (2048–4096 tokens depending on
 * version) silently truncates the long prompts coding tools send, which is the most common complaint
 * about coding tools on Ollama. But every change of `num_ctx` makes Ollama reload the model, so the
 * size is stepped and sticky: it grows when a prompt needs more, and is otherwise kept as it was.
 */

export interface ContextSizeInput {
  estimatedPromptTokens: number;
  /** The output budget: `max_tokens` when given, else a default. */
  outputTokens: number;
  /** The model's trained context length from /api/show, when known. */
  modelContextLength: number | undefined;
  /** The num_ctx used last time for this model, when any. */
  previous: number | undefined;
  minimum: number;
  step: number;
}

export type ContextSizeDecision =
  | { fits: true; numCtx: number }
  | { fits: false; needed: number; modelContextLength: number };

export function chooseContextSize(input: ContextSizeInput): ContextSizeDecision {
  const needed = input.estimatedPromptTokens + input.outputTokens;
  const ceiling = input.modelContextLength;
  if (ceiling !== undefined && input.estimatedPromptTokens >= ceiling) {
    return { fits: false, needed, modelContextLength: ceiling };
  }
  // Keep the previous size when it is enough: no reload.
  if (input.previous !== undefined && input.previous >= needed) {
    return { fits: true, numCtx: ceiling !== undefined ? Math.min(input.previous, ceiling) : input.previous };
  }
  const stepped = Math.max(input.minimum, Math.ceil(needed / input.step) * input.step);
  return { fits: true, numCtx: ceiling !== undefined ? Math.min(stepped, ceiling) : stepped };
}
