/**
 * @module openai/tool-arguments
 * OpenAI carries a tool call's arguments as a JSON string; Ollama, Claude and Gemini all want the
 * object itself. One parser, so every adapter accepts and refuses the same inputs with the same 400.
 */
import { invalidRequest } from '../errors.js';

/** Parses a tool call's arguments into an object. `param` names the field for the 400 (`messages.3.tool_calls.0.function.arguments`). */
export function parseToolArguments(text: string, param: string): Record<string, unknown> {
  // Some clients send "" for a call without arguments.
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidRequest(
      `${param} is not valid JSON. Send the tool call's arguments exactly as the model produced them: a JSON object string.`,
      param,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidRequest(`${param} must be a JSON object string, as the model produced it.`, param);
  }
  return parsed as Record<string, unknown>;
}
