/**
 * @module tool-calls
 * Decides when the simulated model calls tools and builds the calls in Ollama's shape: arguments are a
 * JSON object (not a string, unlike OpenAI), with an `index` per call as Ollama v0.12 sends.
 */
import type { Directives } from './directives.js';
import type { Random } from './random.js';
import { valueForSchema } from './structured-output.js';
import type { WireMessage, WireTool, WireToolCall } from './wire-types.js';

const asksForToolPattern = /\b(?:use|call|invoke|run) (?:the|a|an|your|some) (?:tool|function)s?\b|\bcall\b/i;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The tools to call, in declaration order, or none to answer in text. Calls happen when tools were
 * given, the conversation does not end with a tool result, and the last user message asks: a
 * `[sim:tool]` directive, the tools' names, "use the tool" or the word "call" (then the first tool).
 */
export function chooseTools(
  tools: readonly WireTool[] | undefined,
  messages: readonly WireMessage[],
  directives: Directives,
): WireTool[] {
  const first = tools?.[0];
  if (!tools || !first || messages.at(-1)?.role === 'tool') return [];
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  if (!lastUser) return [];
  const wanted = directives.tool?.name;
  if (wanted) return [tools.find((tool) => tool.function.name === wanted) ?? first];
  const named = tools.filter((tool) =>
    new RegExp(`\\b${escapeRegExp(tool.function.name)}\\b`).test(lastUser.content),
  );
  if (named.length > 0) return named;
  return directives.tool || asksForToolPattern.test(lastUser.content) ? [first] : [];
}

export function buildToolCall(tool: WireTool, index: number, random: Random): WireToolCall {
  const schema = tool.function.parameters ?? { type: 'object', properties: {} };
  const value = valueForSchema({ ...schema, type: 'object' }, random);
  const argumentsObject = (
    value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}
  ) as Record<string, unknown>;
  return { function: { index, name: tool.function.name, arguments: argumentsObject } };
}
