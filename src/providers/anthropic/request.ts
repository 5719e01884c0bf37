/**
 * @module providers/anthropic/request
 * The normalised OpenAI-style ChatRequest, as a Messages API request body. The two formats disagree in
 * ways that make Anthropic answer 400 when a request is passed through naively: system prompts live
 * outside `messages`, turns must alternate, tool results are user-turn blocks that must come first, text
 * blocks must not be empty, and structured output has no `response_format`. Each rule is handled here,
 * where it can be checked with one inline snapshot of the outgoing body.
 */

import type {
  ContentBlockParam,
  ImageBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  TextBlockParam,
  Tool,
  ToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { invalidRequest } from '../../errors.js';
import type { ChatMessage, ChatRequest, ContentPart, ToolDefinition } from '../../openai/chat-request.js';
import { parseToolArguments } from '../../openai/tool-arguments.js';
import { addCacheBreakpoints } from './cache-breakpoints.js';

/**
 * The body sent to `POST /v1/messages`. SDK 1.x dropped `temperature` and `top_p` from its types because
 * the API deprecated them for its newest models; older models (Claude 4.5 and before) still honour them,
 * so they are added back here and sent only when the client set them.
 */
export interface AnthropicRequestBody extends MessageCreateParamsStreaming {
  temperature?: number;
  top_p?: number;
}

export interface TranslatedRequest {
  body: AnthropicRequestBody;
  /**
   * Name of the tool that carries a `json_schema` response format, when there is one. Its input is the
   * assistant's answer: the event translation turns it back into text, with finish reason `stop`.
   */
  outputToolName?: string;
}

export interface TranslateOptions {
  /** Upstream model name, without the `anthropic/` prefix. */
  model: string;
  /** `max_tokens` when the client gave none: Anthropic requires one. */
  defaultMaxTokens: number;
  /** False for models that rejected sampling parameters once: they are then left out. */
  sendSampling: boolean;
  /** Mark the stable prefix with prompt-caching breakpoints (`anthropic.prompt_caching`). */
  promptCaching: boolean;
}

type Role = 'user' | 'assistant';
interface Turn {
  role: Role;
  blocks: ContentBlockParam[];
}

/**
 * Stands in for a missing first user turn. Anthropic's conversations start with the user, and text
 * blocks must be non-empty, so a conversation that opens with the assistant (or has only a system
 * prompt) gets this minimal user turn in front.
 */
export const PLACEHOLDER_USER_TEXT = '.';

/**
 * json_object has no Anthropic equivalent (structured output needs a schema), so it becomes an
 * instruction. The model follows it reliably but, unlike OpenAI's JSON mode, nothing enforces it.
 */
export const JSON_OBJECT_INSTRUCTION =
  'Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.';

const supportedImageTypes = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
type SupportedImageType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

/** Translates a ChatRequest into a Messages API body. Throws a 400 GatewayError naming the field at fault. */
export function toAnthropicRequest(request: ChatRequest, options: TranslateOptions): TranslatedRequest {
  const format = request.responseFormat;
  const system = request.messages.flatMap((message) =>
    message.role === 'system' && message.content.trim() !== '' ? [message.content] : [],
  );
  if (format?.type === 'json_object') system.push(JSON_OBJECT_INSTRUCTION);

  const body: AnthropicRequestBody = {
    model: options.model,
    max_tokens: request.maxTokens ?? options.defaultMaxTokens,
    messages: toMessages(request.messages),
    stream: true,
  };
  if (system.length === 1) body.system = system[0];
  else if (system.length > 1) body.system = system.map((text): TextBlockParam => ({ type: 'text', text }));

  // Anthropic refuses whitespace-only stop sequences ("each stop sequence must contain non-whitespace"),
  // which OpenAI clients commonly send (`stop: ["\n"]`). They are dropped rather than failing the request.
  const stop = request.stop?.filter((sequence) => sequence.trim() !== '');
  if (stop && stop.length > 0) body.stop_sequences = stop;

  if (options.sendSampling) {
    // OpenAI's temperature runs 0–2, Anthropic's 0–1: values above 1 are clamped to 1 (the most random
    // Anthropic allows) rather than rescaled, so that the common 0–1 settings keep their meaning.
    if (request.temperature !== undefined) body.temperature = Math.min(request.temperature, 1);
    // Claude 4.5 models answer 400 when both are set; temperature is the one clients mean to set.
    else if (request.topP !== undefined) body.top_p = request.topP;
  }
  // seed, frequency_penalty and presence_penalty have no Anthropic equivalent and are left out silently,
  // as OpenAI-compatible servers commonly do with parameters they cannot honour.

  const tools: Tool[] = request.tools.map(toTool);
  let toolChoice: ToolChoice | undefined = toToolChoice(request.toolChoice);
  let outputToolName: string | undefined;

  if (format?.type === 'json_schema') {
    // Structured output through a tool: Claude fills the tool's input to match its input_schema, which
    // works on every model (unlike `output_config.format`, which only newer models accept).
    outputToolName = format.name;
    if (tools.some((tool) => tool.name === format.name)) {
      throw invalidRequest(
        `response_format.json_schema.name "${format.name}" is also the name of a tool; rename one of them.`,
        'response_format.json_schema.name',
      );
    }
    tools.push(outputTool(format.name, format.schema));
    const clientMayCallTools = request.tools.length > 0 && request.toolChoice !== 'none';
    if (typeof request.toolChoice === 'object') {
      // A named tool is forced: the structured answer comes on a later turn.
    } else if (clientMayCallTools) {
      // Either call one of the client's tools or answer through the output tool, never with free text.
      toolChoice = { type: 'any' };
    } else {
      toolChoice = { type: 'tool', name: format.name };
    }
  }

  if (tools.length > 0) {
    body.tools = tools;
    if (toolChoice) body.tool_choice = toolChoice;
  }
  // Last, so that the marks land on the blocks actually sent (the output tool, the merged turns).
  if (options.promptCaching) addCacheBreakpoints(body);
  return outputToolName === undefined ? { body } : { body, outputToolName };
}

function toTool(tool: ToolDefinition): Tool {
  return {
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    input_schema: { ...tool.parameters, type: 'object' },
  };
}

function outputTool(name: string, schema: Record<string, unknown>): Tool {
  // Tool inputs are JSON objects: a schema whose root is an array or a scalar cannot be a tool input.
  if (schema.type !== undefined && schema.type !== 'object') {
    throw invalidRequest(
      'response_format.json_schema.schema: Claude returns structured output as a JSON object, so the schema root must be `"type": "object"`. Wrap the value in an object property.',
      'response_format.json_schema.schema',
    );
  }
  return {
    name,
    description: 'Give your final answer by calling this tool; its input is your whole reply.',
    input_schema: { ...schema, type: 'object' },
  };
}

function toToolChoice(choice: ChatRequest['toolChoice']): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  return { type: 'tool', name: choice.name };
}

function toMessages(messages: readonly ChatMessage[]): MessageParam[] {
  const turns: Turn[] = [];
  for (const [index, message] of messages.entries()) {
    if (message.role === 'system') continue;
    const role: Role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = toBlocks(message, index);
    // Anthropic rejects empty content; an empty message adds nothing the model could use.
    if (blocks.length === 0) continue;
    const previous = turns.at(-1);
    // Turns must alternate, and tool results travel in user turns: `tool` messages and a following
    // `user` message merge into one user turn, as do consecutive messages of the same role.
    if (previous?.role === role) previous.blocks.push(...blocks);
    else turns.push({ role, blocks });
  }

  for (const turn of turns) {
    if (turn.role === 'user') turn.blocks = toolResultsFirst(turn.blocks);
  }
  if (turns[0]?.role !== 'user') {
    turns.unshift({ role: 'user', blocks: [{ type: 'text', text: PLACEHOLDER_USER_TEXT }] });
  }
  trimFinalAssistant(turns);
  return turns.map((turn) => ({ role: turn.role, content: turn.blocks }));
}

function toBlocks(message: Exclude<ChatMessage, { role: 'system' }>, index: number): ContentBlockParam[] {
  switch (message.role) {
    case 'user':
      return message.content.flatMap((part, partIndex) => userPart(part, index, partIndex));
    case 'assistant': {
      const blocks: ContentBlockParam[] = [];
      if (message.content.trim() !== '') blocks.push({ type: 'text', text: message.content });
      for (const [callIndex, call] of message.toolCalls.entries()) {
        blocks.push({
          type: 'tool_use',
          id: call.id,
          name: call.name,
          input: parseToolArguments(
            call.arguments,
            `messages.${index}.tool_calls.${callIndex}.function.arguments`,
          ),
        });
      }
      return blocks;
    }
    case 'tool':
      return [
        {
          type: 'tool_result',
          tool_use_id: message.toolCallId,
          ...(message.content !== '' ? { content: message.content } : {}),
        },
      ];
  }
}

function userPart(part: ContentPart, index: number, partIndex: number): ContentBlockParam[] {
  if (part.type === 'text') return part.text.trim() === '' ? [] : [{ type: 'text', text: part.text }];
  const source = part.source;
  if (source.kind === 'url') return [{ type: 'image', source: { type: 'url', url: source.url } }];
  if (!isSupportedImageType(source.mediaType)) {
    const param = `messages.${index}.content.${partIndex}.image_url.url`;
    throw invalidRequest(
      `${param}: Claude accepts JPEG, PNG, GIF and WebP images, not ${source.mediaType}. Convert the image, or send it to a model that reads this format.`,
      param,
    );
  }
  const image: ImageBlockParam = {
    type: 'image',
    source: { type: 'base64', media_type: source.mediaType, data: source.data },
  };
  return [image];
}

function isSupportedImageType(mediaType: string): mediaType is SupportedImageType {
  return supportedImageTypes.has(mediaType);
}

/**
 * "In the user message containing tool results, the tool_result blocks must come first": a user message
 * merged after tool results (or sent between them) would otherwise put text before them and fail.
 */
function toolResultsFirst(blocks: ContentBlockParam[]): ContentBlockParam[] {
  const results = blocks.filter((block) => block.type === 'tool_result');
  if (results.length === 0) return blocks;
  return [...results, ...blocks.filter((block) => block.type !== 'tool_result')];
}

/**
 * A final assistant turn is a prefill that the answer continues; Anthropic rejects one that ends in
 * whitespace ("final assistant content cannot end with trailing whitespace").
 */
function trimFinalAssistant(turns: Turn[]): void {
  const last = turns.at(-1);
  if (last?.role !== 'assistant') return;
  const block = last.blocks.at(-1);
  if (block?.type !== 'text') return;
  block.text = block.text.trimEnd();
}
