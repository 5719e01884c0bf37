/**
 * @module chat-request
 * Checks a /api/chat body the way Ollama's Go decoder and option parser do, with the same error texts
 * and statuses (400 for the body, 500 for an option of the wrong type), so clients see real errors.
 */
import type { JsonSchema, WireChatRequest, WireMessage, WireTool } from './wire-types.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; status: number; error: string };

/** The options the simulator acts on; the rest are accepted and ignored, as by a real model. */
export interface ModelOptions {
  numCtx?: number;
  numPredict?: number;
  seed?: number;
  stop: string[];
}

type JsonKind = 'string' | 'number' | 'bool' | 'array' | 'object' | 'null';

function jsonKind(value: unknown): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  return 'object';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return jsonKind(value) === 'object';
}

function mismatch(value: unknown, field: string, goType: string): Checked<never> {
  return {
    ok: false,
    status: 400,
    error: `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${field} of type ${goType}`,
  };
}

function checkMessage(value: unknown): Checked<WireMessage> {
  const field = 'ChatRequest.messages';
  if (!isRecord(value)) return mismatch(value, field, 'api.Message');
  const { role = '', content = '', images, tool_calls: toolCalls, tool_name: toolName, thinking } = value;
  if (typeof role !== 'string') return mismatch(role, `${field}.role`, 'string');
  if (typeof content !== 'string') return mismatch(content, `${field}.content`, 'string');
  if (images !== undefined && images !== null) {
    if (!Array.isArray(images) || images.some((image) => typeof image !== 'string')) {
      return mismatch(images, `${field}.images`, '[]api.ImageData');
    }
  }
  if (toolCalls !== undefined && toolCalls !== null && !Array.isArray(toolCalls)) {
    return mismatch(toolCalls, `${field}.tool_calls`, '[]api.ToolCall');
  }
  if (toolName !== undefined && typeof toolName !== 'string') {
    return mismatch(toolName, `${field}.tool_name`, 'string');
  }
  const message: WireMessage = { role: role.toLowerCase(), content };
  if (typeof thinking === 'string') message.thinking = thinking;
  if (Array.isArray(images)) message.images = images as string[];
  if (Array.isArray(toolCalls)) message.tool_calls = toolCalls as WireMessage['tool_calls'];
  if (typeof toolName === 'string') message.tool_name = toolName;
  return { ok: true, value: message };
}

function checkTools(value: unknown): Checked<WireTool[] | undefined> {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (!Array.isArray(value)) return mismatch(value, 'ChatRequest.tools', 'api.Tools');
  const tools: WireTool[] = [];
  for (const tool of value) {
    if (!isRecord(tool)) return mismatch(tool, 'ChatRequest.tools', 'api.Tool');
    const fn = tool.function;
    if (!isRecord(fn) || typeof fn.name !== 'string') {
      return mismatch(fn, 'ChatRequest.tools.function', 'api.ToolFunction');
    }
    const parameters = isRecord(fn.parameters) ? (fn.parameters as JsonSchema) : undefined;
    const description = typeof fn.description === 'string' ? fn.description : undefined;
    tools.push({
      type: typeof tool.type === 'string' ? tool.type : 'function',
      function: { ...fn, name: fn.name, description, parameters },
    });
  }
  return { ok: true, value: tools };
}

/** Validates the body of POST /api/chat. `keep_alive` is returned as given; see `parseKeepAlive`. */
export function parseChatRequest(body: unknown): Checked<WireChatRequest> {
  if (!isRecord(body)) {
    const error = `json: cannot unmarshal ${jsonKind(body)} into Go value of type api.ChatRequest`;
    return { ok: false, status: 400, error };
  }
  const { model = '', messages, stream, keep_alive: keepAlive, options, format, think } = body;
  if (typeof model !== 'string') return mismatch(model, 'ChatRequest.model', 'string');
  if (model.trim() === '') return { ok: false, status: 400, error: 'model is required' };
  const checkedMessages: WireMessage[] = [];
  if (messages !== undefined && messages !== null) {
    if (!Array.isArray(messages)) return mismatch(messages, 'ChatRequest.messages', '[]api.Message');
    for (const message of messages) {
      const checked = checkMessage(message);
      if (!checked.ok) return checked;
      checkedMessages.push(checked.value);
    }
  }
  const tools = checkTools(body.tools);
  if (!tools.ok) return tools;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    return mismatch(stream, 'ChatRequest.stream', 'bool');
  }
  if (
    keepAlive !== undefined &&
    keepAlive !== null &&
    typeof keepAlive !== 'string' &&
    typeof keepAlive !== 'number'
  ) {
    return { ok: false, status: 400, error: `Unsupported type: '${jsonKind(keepAlive)}'` };
  }
  if (options !== undefined && options !== null && !isRecord(options)) {
    return mismatch(options, 'ChatRequest.options', 'map[string]interface {}');
  }
  if (think !== undefined && think !== null && typeof think !== 'boolean' && typeof think !== 'string') {
    return { ok: false, status: 400, error: 'think must be a boolean or string' };
  }
  const request: WireChatRequest = { model, messages: checkedMessages };
  if (tools.value) request.tools = tools.value;
  if (format !== undefined && format !== null && format !== '')
    request.format = format as WireChatRequest['format'];
  if (isRecord(options)) request.options = options;
  if (typeof keepAlive === 'string' || typeof keepAlive === 'number') request.keep_alive = keepAlive;
  if (typeof stream === 'boolean') request.stream = stream;
  if (typeof think === 'boolean' || typeof think === 'string') request.think = think;
  return { ok: true, value: request };
}

const integerOptions = new Set([
  'num_keep',
  'seed',
  'num_predict',
  'top_k',
  'repeat_last_n',
  'num_ctx',
  'num_batch',
  'num_gpu',
  'main_gpu',
  'num_thread',
]);
const floatOptions = new Set([
  'top_p',
  'min_p',
  'typical_p',
  'temperature',
  'repeat_penalty',
  'presence_penalty',
  'frequency_penalty',
]);
const booleanOptions = new Set(['use_mmap', 'numa', 'low_vram', 'penalize_newline']);

/** Reads `options` as Ollama's `Options.FromMap` does; unknown keys are ignored (Ollama only logs them). */
export function readModelOptions(options: Record<string, unknown> | undefined): Checked<ModelOptions> {
  const result: ModelOptions = { stop: [] };
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === null) continue;
    const fail = (type: string): Checked<never> => ({
      ok: false,
      status: 500,
      error: `option "${key}" must be of type ${type}`,
    });
    if (integerOptions.has(key) && typeof value !== 'number') return fail('integer');
    if (floatOptions.has(key) && typeof value !== 'number') return fail('float32');
    if (booleanOptions.has(key) && typeof value !== 'boolean') return fail('boolean');
    if (key === 'stop') {
      if (!Array.isArray(value)) return fail('array');
      if (value.some((item) => typeof item !== 'string')) {
        return { ok: false, status: 500, error: `option "${key}" must be of an array of strings` };
      }
      result.stop = value as string[];
    }
    if (typeof value !== 'number') continue;
    if (key === 'num_ctx') result.numCtx = Math.trunc(value);
    if (key === 'num_predict') result.numPredict = Math.trunc(value);
    if (key === 'seed') result.seed = Math.trunc(value);
  }
  return { ok: true, value: result };
}
