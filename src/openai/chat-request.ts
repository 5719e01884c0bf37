/**
 * @module openai/chat-request
 * The inbound edge: the OpenAI chat completion request, validated with zod and normalised into the
 * one internal request type every provider adapter consumes. Unknown fields are ignored, as OpenAI's
 * own server does, so new client versions keep working.
 */
import { z } from 'zod';
import { invalidRequest } from '../errors.js';

const textPartSchema = z.object({ type: z.literal('text'), text: z.string() });
const imagePartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.union([z.string(), z.object({ url: z.string(), detail: z.string().optional() })]),
});
const otherPartSchema = z.object({ type: z.string() }).loose();
const contentPartSchema = z.union([textPartSchema, imagePartSchema, otherPartSchema]);
const contentSchema = z
  .union([z.string(), z.array(contentPartSchema)])
  .nullable()
  .optional();

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: contentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: contentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: contentSchema, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: contentSchema,
    tool_calls: z.array(toolCallSchema).nullable().optional(),
    reasoning_content: z.string().nullable().optional(),
    name: z.string().optional(),
  }),
  z.object({ role: z.literal('tool'), content: contentSchema, tool_call_id: z.string() }),
]);

const jsonObjectSchema = z.record(z.string(), z.unknown());

const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: jsonObjectSchema.optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
]);

const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string(),
      description: z.string().optional(),
      schema: jsonObjectSchema.optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

/** The wire schema of `POST /v1/chat/completions`. `.loose()` keeps unknown fields from failing. */
export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(messageSchema).min(1),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    seed: z.number().int().nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(16)])
      .nullable()
      .optional(),
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    n: z.number().int().positive().nullable().optional(),
    tools: z.array(toolSchema).nullable().optional(),
    tool_choice: toolChoiceSchema.nullable().optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    response_format: responseFormatSchema.nullable().optional(),
    reasoning_effort: z.string().nullable().optional(),
    user: z.string().optional(),
  })
  .loose();

export type ChatCompletionRequestWire = z.infer<typeof chatCompletionRequestSchema>;

/** An image as the upstreams accept it: inline bytes (from a data URL) or a remote URL. */
export type ImageSource = { kind: 'base64'; mediaType: string; data: string } | { kind: 'url'; url: string };

export type ContentPart = { type: 'text'; text: string } | { type: 'image'; source: ImageSource };

/** A tool call as OpenAI carries it: arguments are a JSON string. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Normalised messages: `developer` is folded into `system`; text-only roles carry a plain string. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: ContentPart[] }
  | { role: 'assistant'; content: string; toolCalls: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments, as the client sent it. */
  parameters: Record<string, unknown>;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict: boolean };

/** The one internal request type. Every provider adapter turns this into its upstream call. */
export interface ChatRequest {
  /** The model id as the client asked for it (`auto`, `ollama/qwen2.5-coder:7b`, an alias…). */
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  includeUsage: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  frequencyPenalty?: number;
  presencePenalty?: number;
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
}

/** Validates a parsed JSON body and normalises it. Throws a 400 GatewayError naming the field. */
export function parseChatRequest(body: unknown): ChatRequest {
  const result = chatCompletionRequestSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = issue ? issue.path.map(String).join('.') : null;
    const what = issue ? issue.message : 'invalid request';
    throw invalidRequest(
      `Invalid request: ${param ? `\`${param}\`: ` : ''}${what}. Fix that field and send the request again; the body must follow the OpenAI chat completions format.`,
      param || null,
    );
  }
  return normalise(result.data);
}

function normalise(wire: ChatCompletionRequestWire): ChatRequest {
  if (wire.n != null && wire.n > 1) {
    throw invalidRequest(
      `n=${wire.n} is not supported: switchyard returns one choice per request. Send n=1 (or omit it) and make several requests instead.`,
      'n',
      'unsupported_parameter',
    );
  }
  const request: ChatRequest = {
    model: wire.model,
    messages: wire.messages.map((message, index) => normaliseMessage(message, index)),
    stream: wire.stream === true,
    includeUsage: wire.stream === true && wire.stream_options?.include_usage === true,
    tools: (wire.tools ?? []).map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
      parameters: tool.function.parameters ?? { type: 'object', properties: {} },
    })),
  };
  const maxTokens = wire.max_completion_tokens ?? wire.max_tokens;
  if (maxTokens != null) request.maxTokens = maxTokens;
  if (wire.temperature != null) request.temperature = wire.temperature;
  if (wire.top_p != null) request.topP = wire.top_p;
  if (wire.seed != null) request.seed = wire.seed;
  if (wire.stop != null) request.stop = typeof wire.stop === 'string' ? [wire.stop] : wire.stop;
  if (wire.frequency_penalty != null) request.frequencyPenalty = wire.frequency_penalty;
  if (wire.presence_penalty != null) request.presencePenalty = wire.presence_penalty;
  if (wire.tool_choice != null) {
    request.toolChoice =
      typeof wire.tool_choice === 'string' ? wire.tool_choice : { name: wire.tool_choice.function.name };
    if (typeof request.toolChoice === 'object') {
      const wanted = request.toolChoice.name;
      if (!request.tools.some((tool) => tool.name === wanted)) {
        throw invalidRequest(
          `tool_choice names the function "${wanted}", which is not in \`tools\`. Add it to \`tools\` or choose "auto".`,
          'tool_choice',
        );
      }
    }
  }
  if (wire.response_format != null) {
    const format = wire.response_format;
    request.responseFormat =
      format.type === 'json_schema'
        ? {
            type: 'json_schema',
            name: format.json_schema.name,
            schema: format.json_schema.schema ?? { type: 'object' },
            strict: format.json_schema.strict === true,
          }
        : format;
  }
  return request;
}

type WireMessage = ChatCompletionRequestWire['messages'][number];
type WireContent = WireMessage['content'];

function normaliseMessage(message: WireMessage, index: number): ChatMessage {
  const param = `messages.${index}.content`;
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: textOnly(message.content, param) };
    case 'user':
      return { role: 'user', content: contentParts(message.content, param) };
    case 'assistant':
      return {
        role: 'assistant',
        content: textOnly(message.content, param),
        toolCalls: (message.tool_calls ?? []).map((call) => ({
          id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        })),
      };
    case 'tool':
      return { role: 'tool', toolCallId: message.tool_call_id, content: textOnly(message.content, param) };
  }
}

function textOnly(content: WireContent, param: string): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return contentParts(content, param)
    .map((part) => {
      if (part.type !== 'text') {
        throw invalidRequest(`${param}: images are only accepted in user messages.`, param);
      }
      return part.text;
    })
    .join('');
}

function contentParts(content: WireContent, param: string): ContentPart[] {
  if (content == null) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part, partIndex) => {
    const partParam = `${param}.${partIndex}`;
    // Malformed text and image parts fall through the schema to the loose part, so they are checked here.
    if (part.type === 'text') {
      if ('text' in part && typeof part.text === 'string') return { type: 'text', text: part.text };
      throw invalidRequest(`${partParam}.text must be a string.`, `${partParam}.text`);
    }
    if (part.type === 'image_url') {
      const url = imageUrlOf('image_url' in part ? part.image_url : undefined);
      return { type: 'image', source: parseImageUrl(url, `${partParam}.image_url.url`) };
    }
    throw invalidRequest(
      `${partParam}: content part type "${part.type}" is not supported. Send text or image_url parts.`,
      `${partParam}.type`,
    );
  });
}

const dataUrlPattern = /^data:([a-z]+\/[a-z0-9.+-]+);base64,(.*)$/is;

function imageUrlOf(imageUrl: unknown): string | undefined {
  if (typeof imageUrl === 'string') return imageUrl;
  if (
    imageUrl !== null &&
    typeof imageUrl === 'object' &&
    'url' in imageUrl &&
    typeof imageUrl.url === 'string'
  ) {
    return imageUrl.url;
  }
  return undefined;
}

function parseImageUrl(url: string | undefined, param: string): ImageSource {
  const match = url === undefined ? null : dataUrlPattern.exec(url);
  if (match?.[1] && match[2] !== undefined) {
    return { kind: 'base64', mediaType: match[1].toLowerCase(), data: match[2] };
  }
  if (url !== undefined && /^https?:\/\//i.test(url)) return { kind: 'url', url };
  throw invalidRequest(
    `${param}: an image must be a base64 data URL (data:image/png;base64,…) or an http(s) URL.`,
    param,
  );
}

/** All text of a request, for size estimates, classification and privacy rules. */
export function requestText(request: ChatRequest): string {
  const pieces: string[] = [];
  for (const message of request.messages) {
    if (message.role === 'user') {
      for (const part of message.content) if (part.type === 'text') pieces.push(part.text);
    } else {
      pieces.push(message.content);
      if (message.role === 'assistant') for (const call of message.toolCalls) pieces.push(call.arguments);
    }
  }
  return pieces.join('\n');
}
