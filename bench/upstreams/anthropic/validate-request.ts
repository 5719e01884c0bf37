/**
 * @module Validation of a `POST /v1/messages` body outside `messages`: required fields, ranges, tools,
 * tool_choice and thinking, with the API's messages. A 400 here is what the real API would answer, so an
 * adapter that builds invalid requests fails against the simulator instead of in production.
 */
import { isObject, type JsonObject } from '../shared/json-object.js';
import { validateCacheControl } from './cache-control.js';
import { invalidRequest } from './errors.js';
import type { AnthropicModelProfile } from './models.js';
import type { ClaudeTool, ClaudeToolChoice, MessagesRequest } from './request-types.js';
import { validateMessages } from './validate-messages.js';

/** Top-level fields of the Messages API; anything else is "Extra inputs are not permitted". */
const KNOWN_FIELDS = new Set(
  (
    'model messages max_tokens system metadata stop_sequences stream temperature top_p top_k tools ' +
    'tool_choice thinking service_tier output_config output_format container mcp_servers context_management ' +
    'cache_control inference_geo speed diagnostics'
  ).split(' '),
);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const THINKING_DOCS = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

/** The model id of a body, checked before everything else so an unknown model is a 404. */
export function readModel(body: JsonObject): string {
  if (body.model === undefined) throw invalidRequest('model: Field required');
  if (typeof body.model !== 'string') throw invalidRequest('model: Input should be a valid string');
  return body.model;
}

export function validateRequest(body: JsonObject, profile: AnthropicModelProfile): MessagesRequest {
  for (const key of Object.keys(body)) {
    if (!KNOWN_FIELDS.has(key)) throw invalidRequest(`${key}: Extra inputs are not permitted`);
  }
  const model = readModel(body);
  const maxTokens = validateMaxTokens(body.max_tokens, model, profile);
  const { messages, systemBlocks } = validateMessages(body.messages);
  const tools = validateTools(body.tools);
  const toolChoice = validateToolChoice(body.tool_choice, tools);
  checkUnit(body.temperature, 'temperature');
  checkUnit(body.top_p, 'top_p');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    throw invalidRequest('stream: Input should be a valid boolean');
  }
  const thinking = validateThinking(body, maxTokens, toolChoice);
  validateCacheControl(body);
  return {
    model,
    maxTokens,
    stream: body.stream === true,
    system: [...validateSystem(body.system), ...systemBlocks],
    messages,
    tools,
    toolChoice,
    stopSequences: validateStopSequences(body.stop_sequences),
    thinking,
    outputSchema: outputSchemaOf(body),
    cacheControl: isObject(body.cache_control) ? body.cache_control : undefined,
  };
}

function validateMaxTokens(value: unknown, model: string, profile: AnthropicModelProfile): number {
  if (value === undefined) throw invalidRequest('max_tokens: Field required');
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidRequest('max_tokens: Input should be a valid integer');
  }
  if (value < 1) throw invalidRequest('max_tokens: Input should be greater than or equal to 1');
  if (value > profile.maxOutputTokens) {
    throw invalidRequest(
      `max_tokens: ${value} > ${profile.maxOutputTokens}, which is the maximum allowed number of output tokens for ${model}`,
    );
  }
  return value;
}

function validateSystem(value: unknown): JsonObject[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return value === '' ? [] : [{ type: 'text', text: value }];
  if (!Array.isArray(value)) throw invalidRequest('system: Input should be a valid string or list');
  return value.map((block: unknown, index) => {
    if (!isObject(block) || block.type !== 'text')
      throw invalidRequest(`system.${index}.type: Input should be 'text'`);
    if (typeof block.text !== 'string' || block.text === '') {
      throw invalidRequest('system: text content blocks must be non-empty');
    }
    return block;
  });
}

function validateTools(value: unknown): ClaudeTool[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidRequest('tools: Input should be a valid list');
  const tools: ClaudeTool[] = [];
  const names = new Set<string>();
  value.forEach((tool: unknown, index) => {
    if (!isObject(tool)) throw invalidRequest(`tools.${index}: Input should be a valid dictionary`);
    if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) {
      throw invalidRequest(`tools.${index}.custom.name: String should match pattern '${TOOL_NAME.source}'`);
    }
    if (names.has(tool.name)) throw invalidRequest('tools: Tool names must be unique.');
    names.add(tool.name);
    // Server tools (`web_search_20250305`, …) carry a versioned type and no schema; they are never called here.
    if (tool.type !== undefined && tool.type !== 'custom') return;
    if (!isObject(tool.input_schema))
      throw invalidRequest(`tools.${index}.custom.input_schema: Field required`);
    if (tool.input_schema.type !== 'object') {
      throw invalidRequest(`tools.${index}.custom.input_schema.type: Input should be 'object'`);
    }
    tools.push({ name: tool.name, inputSchema: tool.input_schema, raw: tool });
  });
  return tools;
}

function validateToolChoice(value: unknown, tools: readonly ClaudeTool[]): ClaudeToolChoice {
  if (value === undefined) return { type: 'auto', name: undefined, disableParallel: false };
  if (!isObject(value)) throw invalidRequest('tool_choice: Input should be a valid dictionary');
  const type = value.type;
  if (type !== 'auto' && type !== 'any' && type !== 'tool' && type !== 'none') {
    throw invalidRequest(
      `tool_choice: Input tag '${String(type)}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`,
    );
  }
  const disableParallel = value.disable_parallel_tool_use === true;
  if (type !== 'tool') return { type, name: undefined, disableParallel };
  if (typeof value.name !== 'string') throw invalidRequest('tool_choice.tool.name: Field required');
  if (!tools.some((tool) => tool.name === value.name)) {
    throw invalidRequest(`tool_choice: tool '${value.name}' not found in tools`);
  }
  return { type, name: value.name, disableParallel };
}

function validateThinking(
  body: JsonObject,
  maxTokens: number,
  toolChoice: ClaudeToolChoice,
): MessagesRequest['thinking'] {
  const value = body.thinking;
  if (value === undefined || (isObject(value) && value.type === 'disabled')) return null;
  if (!isObject(value) || (value.type !== 'enabled' && value.type !== 'adaptive')) {
    const type = isObject(value) ? String(value.type) : String(value);
    throw invalidRequest(
      `thinking: Input tag '${type}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'`,
    );
  }
  let budgetTokens: number | undefined;
  if (value.type === 'enabled') {
    if (typeof value.budget_tokens !== 'number')
      throw invalidRequest('thinking.enabled.budget_tokens: Field required');
    if (value.budget_tokens < 1024) {
      throw invalidRequest('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
    }
    if (maxTokens <= value.budget_tokens) {
      throw invalidRequest(
        `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ${THINKING_DOCS}#max-tokens-and-context-window-size`,
      );
    }
    budgetTokens = value.budget_tokens;
  }
  if (body.temperature !== undefined && body.temperature !== 1) {
    throw invalidRequest(
      `\`temperature\` may only be set to 1 when thinking is enabled. Please consult our documentation at ${THINKING_DOCS}#feature-compatibility`,
    );
  }
  if (toolChoice.type === 'any' || toolChoice.type === 'tool') {
    throw invalidRequest('Thinking may not be enabled when tool_choice forces tool use.');
  }
  return { budgetTokens };
}

function validateStopSequences(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((entry): entry is string => typeof entry === 'string')) {
    throw invalidRequest('stop_sequences: Input should be a valid list of strings');
  }
  if (value.some((entry) => entry.trim() === '')) {
    throw invalidRequest('stop_sequences: each stop sequence must contain non-whitespace');
  }
  return value;
}

function checkUnit(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw invalidRequest(`${name}: Input should be a valid number`);
  if (value < 0) throw invalidRequest(`${name}: Input should be greater than or equal to 0`);
  if (value > 1) throw invalidRequest(`${name}: Input should be less than or equal to 1`);
}

function outputSchemaOf(body: JsonObject): JsonObject | undefined {
  const format = isObject(body.output_config) ? body.output_config.format : body.output_format;
  if (!isObject(format)) return undefined;
  if (format.type !== 'json_schema' || !isObject(format.schema)) {
    throw invalidRequest('output_config.format.schema: Field required');
  }
  return format.schema;
}
