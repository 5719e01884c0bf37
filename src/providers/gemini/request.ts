/**
 * @module providers/gemini/request
 * ChatRequest → the parameters of `models.generateContentStream`. Gemini's conversation model differs
 * from OpenAI's in ways that each cost a 400 when ignored: system prompts live outside the turns, roles
 * are `user`/`model` and should alternate, tool results are `functionResponse` parts of a user turn and
 * must name the function (OpenAI only carries the call id), and tool arguments are objects, not strings.
 */

import {
  type Content,
  FunctionCallingConfigMode,
  type FunctionDeclaration,
  type GenerateContentConfig,
  type Part,
  type ToolConfig,
} from '@google/genai';
import { invalidRequest } from '../../errors.js';
import type { ChatRequest, ContentPart, ToolChoice } from '../../openai/chat-request.js';
import { parseToolArguments } from '../../openai/tool-arguments.js';
import { toGeminiParameters, toGeminiResponseSchema } from './json-schema.js';

/** What `generateContentStream` needs besides the model and the abort signal. */
export interface GeminiRequest {
  contents: Content[];
  config: GenerateContentConfig;
}

export interface GeminiRequestOptions {
  /** The upstream model name; some translation depends on the model generation. */
  model: string;
  /** Output budget when the client gives none (`gemini.default_max_tokens`). */
  defaultMaxTokens: number;
}

/**
 * The documented placeholder for a function call whose thought signature is unknown. Gemini 3 models
 * reject history with unsigned function calls ("Function call is missing a thought_signature"), and an
 * OpenAI client cannot hand back a signature it never saw.
 */
const skipThoughtSignature = 'skip_thought_signature_validator';

/** Translates a normalised request. Throws an `invalid_request` GatewayError naming the field at fault. */
export function toGeminiRequest(request: ChatRequest, options: GeminiRequestOptions): GeminiRequest {
  const config: GenerateContentConfig = {
    maxOutputTokens: request.maxTokens ?? options.defaultMaxTokens,
    // The SDK would otherwise run client-side function calling and silently resume cut streams with
    // continuation tokens; switchyard hands tool calls to the client and owns retries itself.
    automaticFunctionCalling: { disable: true },
    automaticContinuation: false,
  };
  const systemText = request.messages
    .flatMap((message) => (message.role === 'system' && message.content !== '' ? [message.content] : []))
    .join('\n\n');
  // Gemini has one system instruction; system messages anywhere in the conversation all go there.
  if (systemText !== '') config.systemInstruction = { parts: [{ text: systemText }] };
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.stop !== undefined && request.stop.length > 0) config.stopSequences = request.stop;
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;

  if (request.tools.length > 0) {
    config.tools = [
      {
        functionDeclarations: request.tools.map((tool) => {
          const declaration: FunctionDeclaration = { name: tool.name };
          if (tool.description !== undefined) declaration.description = tool.description;
          const parameters = toGeminiParameters(tool.parameters);
          if (parameters) declaration.parameters = parameters;
          return declaration;
        }),
      },
    ];
    if (request.toolChoice !== undefined) config.toolConfig = toolConfig(request.toolChoice);
  }

  const format = request.responseFormat;
  if (format?.type === 'json_object' || format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    const schema = format.type === 'json_schema' ? toGeminiResponseSchema(format.schema) : undefined;
    if (schema) config.responseSchema = schema;
  }

  if (thinks(options.model)) config.thinkingConfig = { includeThoughts: true };

  return { contents: toContents(request, options.model), config };
}

function toolConfig(choice: ToolChoice): ToolConfig {
  if (typeof choice === 'object') {
    return {
      functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: [choice.name] },
    };
  }
  const mode = {
    auto: FunctionCallingConfigMode.AUTO,
    none: FunctionCallingConfigMode.NONE,
    required: FunctionCallingConfigMode.ANY,
  }[choice];
  return { functionCallingConfig: { mode } };
}

/**
 * Thought summaries are asked for only where thinking exists: Gemini answers `includeThoughts` on a
 * model that cannot think (2.0, the image models) or does not by default (flash-lite) with a 400.
 */
function thinks(model: string): boolean {
  const name = model.replace(/^models\//, '');
  if (/(lite|image|tts|audio|live)/.test(name)) return false;
  return /^gemini-(2\.5|[3-9]|\d{2,})/.test(name) || /^gemini-(flash|pro)-latest$/.test(name);
}

function toContents(request: ChatRequest, model: string): Content[] {
  const contents: Content[] = [];
  const functionNames = new Map<string, string>();
  const signCalls = /^(models\/)?gemini-([3-9]|\d{2,})/.test(model);

  // Gemini wants user and model turns to alternate; consecutive turns of one role become one turn.
  const append = (role: 'user' | 'model', parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role && last.parts) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  request.messages.forEach((message, index) => {
    switch (message.role) {
      case 'system':
        return;
      case 'user':
        append('user', message.content.flatMap(toPart));
        return;
      case 'assistant': {
        const parts: Part[] = message.content === '' ? [] : [{ text: message.content }];
        message.toolCalls.forEach((call, callIndex) => {
          functionNames.set(call.id, call.name);
          const args = parseToolArguments(
            call.arguments,
            `messages.${index}.tool_calls.${callIndex}.function.arguments`,
          );
          parts.push({
            functionCall: { id: call.id, name: call.name, args },
            ...(signCalls ? { thoughtSignature: skipThoughtSignature } : {}),
          });
        });
        append('model', parts);
        return;
      }
      case 'tool': {
        const name = functionNames.get(message.toolCallId);
        if (name === undefined) {
          throw invalidRequest(
            `messages.${index}.tool_call_id "${message.toolCallId}" does not match a tool call of an earlier assistant message. Gemini needs the function name for every tool result: send the assistant message with its tool_calls before the tool results.`,
            `messages.${index}.tool_call_id`,
          );
        }
        append('user', [
          {
            functionResponse: {
              id: message.toolCallId,
              name,
              response: { result: parseResult(message.content) },
            },
          },
        ]);
        return;
      }
    }
  });

  if (contents.length === 0) {
    throw invalidRequest(
      'Gemini needs at least one user or assistant message besides the system prompt. Add a user message.',
      'messages',
    );
  }
  return contents;
}

function toPart(part: ContentPart): Part[] {
  if (part.type === 'text') return part.text === '' ? [] : [{ text: part.text }];
  if (part.source.kind === 'base64') {
    return [{ inlineData: { mimeType: part.source.mediaType, data: part.source.data } }];
  }
  // Gemini fetches `fileUri` itself and accepts only some URLs (its Files API, YouTube and public
  // http(s) URLs on recent models); anything it cannot fetch comes back as a 400 naming the URL.
  return [{ fileData: { mimeType: guessImageType(part.source.url), fileUri: part.source.url } }];
}

const imageTypes: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
};

/** `fileData` requires a MIME type; an OpenAI image URL carries none, so the extension decides. */
function guessImageType(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not parseable: fall back to the raw string.
  }
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (extension && imageTypes[extension]) || 'image/jpeg';
}

/** Tool results are free text in OpenAI; structured results are passed to Gemini as structure. */
function parseResult(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    return content;
  }
}
