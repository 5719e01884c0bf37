/**
 * @module prompt-renderer
 * Turns chat messages into the text a model would see (its chat template), so prompt tokens, the
 * prefix cache and truncation behave like Ollama's: a conversation that grows by a turn shares its
 * leading tokens with the previous request, and a conversation longer than num_ctx loses its oldest
 * messages first.
 */
import { capabilitiesOf } from './model-catalog.js';
import { tokenize } from './tokenizer.js';
import type { SimulatedModelSpec } from './types.js';
import type { WireMessage, WireTool } from './wire-types.js';

/** Prompt tokens an image costs on a vision model (a CLIP-style projector's fixed patch count). */
export const imageTokens = 576;

function renderMessageBody(message: WireMessage): string {
  const calls = (message.tool_calls ?? []).map((call) => JSON.stringify(call.function ?? call));
  return calls.length > 0 ? [message.content, ...calls].filter(Boolean).join('\n') : message.content;
}

/** The chat template: ChatML for Qwen-style families, the Llama 3 header format for `llama`. */
export function renderPrompt(
  model: SimulatedModelSpec,
  messages: readonly WireMessage[],
  tools?: readonly WireTool[],
): string {
  const toolText =
    tools && tools.length > 0 ? `# Tools\n${tools.map((tool) => JSON.stringify(tool)).join('\n')}` : '';
  const [first, ...others] = messages;
  const hasSystem = first?.role === 'system';
  const system = [hasSystem ? first.content : '', toolText].filter(Boolean).join('\n\n');
  const rest = hasSystem ? others : messages;
  if (model.family === 'llama') {
    const header = (role: string): string => `<|start_header_id|>${role}<|end_header_id|>\n\n`;
    const head = system ? `${header('system')}${system}<|eot_id|>` : '';
    const body = rest
      .map((message) => `${header(message.role)}${renderMessageBody(message)}<|eot_id|>`)
      .join('');
    return `<|begin_of_text|>${head}${body}${header('assistant')}`;
  }
  const head = system ? `<|im_start|>system\n${system}<|im_end|>\n` : '';
  const body = rest
    .map((message) => `<|im_start|>${message.role}\n${renderMessageBody(message)}<|im_end|>\n`)
    .join('');
  return `${head}${body}<|im_start|>assistant\n`;
}

function imageCount(model: SimulatedModelSpec, messages: readonly WireMessage[]): number {
  if (!capabilitiesOf(model).includes('vision')) return 0;
  return messages.reduce((count, message) => count + (message.images?.length ?? 0), 0);
}

/** The prompt as tokens; image placeholders stand for the fixed cost of each image on vision models. */
function promptTokens(
  model: SimulatedModelSpec,
  messages: readonly WireMessage[],
  tools?: readonly WireTool[],
): string[] {
  const tokens = tokenize(renderPrompt(model, messages, tools));
  const images = imageCount(model, messages);
  for (let index = 0; index < images * imageTokens; index++) tokens.push(`<img:${index}>`);
  return tokens;
}

/**
 * Prompt tokens that fit in num_ctx. Like Ollama's chatPrompt, drops the oldest non-system messages
 * until the prompt fits (always keeping the last one), then keeps only the newest tokens if still too long.
 */
export function fitPromptTokens(
  model: SimulatedModelSpec,
  messages: readonly WireMessage[],
  tools: readonly WireTool[] | undefined,
  numCtx: number,
): { tokens: string[]; fullPromptTokens: number } {
  const full = promptTokens(model, messages, tools);
  if (full.length <= numCtx) return { tokens: full, fullPromptTokens: full.length };
  const system = messages[0]?.role === 'system' ? [messages[0]] : [];
  const history = messages.slice(system.length);
  const fitting = (dropped: number): string[] | undefined => {
    const tokens = promptTokens(model, [...system, ...history.slice(dropped)], tools);
    return tokens.length <= numCtx ? tokens : undefined;
  };
  // Fewest dropped messages that fit; the length only shrinks as more are dropped, so bisect.
  let low = 1;
  let high = history.length - 1;
  let best: string[] | undefined;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const tokens = fitting(middle);
    if (tokens) {
      best = tokens;
      high = middle - 1;
    } else {
      low = middle + 1;
    }
  }
  if (best) return { tokens: best, fullPromptTokens: full.length };
  const lastOnly = promptTokens(model, [...system, ...history.slice(-1)], tools);
  return { tokens: lastOnly.slice(-numCtx), fullPromptTokens: full.length };
}
