/**
 * @module openai/request-size
 * A fast, tokenizer-free estimate of a request's prompt size. It is deliberately simple (characters
 * per token, plus a per-message overhead for the chat template): it runs on every request, and routing
 * calibrates it per model against the engine's real `prompt_eval_count`.
 */
import type { ChatRequest } from './chat-request.js';

/** Typical for BPE tokenizers on English prose and code. */
const charactersPerToken = 3.6;
/** Role markers and separators the chat template adds around each message. */
const tokensPerMessage = 6;
/** A tool's schema is rendered into the prompt by the template. */
const tokensPerToolOverhead = 12;
/** Rough cost of an image for vision models (e.g. one tile). */
const tokensPerImage = 768;

export interface RequestSize {
  characters: number;
  estimatedTokens: number;
  messageCount: number;
  toolCount: number;
  imageCount: number;
}

/** The route, the router and the Ollama adapter all need the size: each request is measured once. */
const measured = new WeakMap<ChatRequest, RequestSize>();

export function measureRequest(request: ChatRequest): RequestSize {
  let size = measured.get(request);
  if (!size) {
    size = measureUncached(request);
    measured.set(request, size);
  }
  return size;
}

function measureUncached(request: ChatRequest): RequestSize {
  let characters = 0;
  let imageCount = 0;
  for (const message of request.messages) {
    if (message.role === 'user') {
      for (const part of message.content) {
        if (part.type === 'text') characters += part.text.length;
        else imageCount += 1;
      }
    } else {
      characters += message.content.length;
      if (message.role === 'assistant') {
        for (const call of message.toolCalls) characters += call.name.length + call.arguments.length;
      }
    }
  }
  let toolCharacters = 0;
  for (const tool of request.tools) {
    toolCharacters +=
      tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters).length;
  }
  const estimatedTokens = Math.ceil(
    (characters + toolCharacters) / charactersPerToken +
      request.messages.length * tokensPerMessage +
      request.tools.length * tokensPerToolOverhead +
      imageCount * tokensPerImage,
  );
  return {
    characters: characters + toolCharacters,
    estimatedTokens,
    messageCount: request.messages.length,
    toolCount: request.tools.length,
    imageCount,
  };
}
