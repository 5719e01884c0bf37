/**
 * @module providers/ollama/request
 * The internal ChatRequest as an Ollama native `/api/chat` body. Ollama differs from OpenAI in ways that
 * matter: tool-call arguments are JSON objects (not strings), tool results name the tool rather than the
 * call id, images are bare base64 strings on the message, and sampling options live under `options`.
 */

import type {
  ChatRequest as OllamaChatRequest,
  Message as OllamaMessage,
  Options as OllamaOptions,
} from 'ollama';
import type { ChatMessage, ChatRequest, ContentPart } from '../../openai/chat-request.js';
import { parseToolArguments } from '../../openai/tool-arguments.js';

export interface OllamaRequestSettings {
  model: string;
  numCtx: number;
  keepAlive: string | number;
  /** Base64 bytes of images given by URL, downloaded beforehand (Ollama takes only inline images). */
  downloadedImages: ReadonlyMap<string, string>;
}

export function toOllamaChatRequest(
  request: ChatRequest,
  settings: OllamaRequestSettings,
): OllamaChatRequest {
  const toolNamesById = new Map<string, string>();
  const messages = request.messages.map((message, index) =>
    toOllamaMessage(message, index, toolNamesById, settings.downloadedImages),
  );

  const options: Partial<OllamaOptions> = { num_ctx: settings.numCtx };
  if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.topP !== undefined) options.top_p = request.topP;
  if (request.seed !== undefined) options.seed = request.seed;
  if (request.stop !== undefined) options.stop = request.stop;
  if (request.frequencyPenalty !== undefined) options.frequency_penalty = request.frequencyPenalty;
  if (request.presencePenalty !== undefined) options.presence_penalty = request.presencePenalty;

  const body: OllamaChatRequest = {
    model: settings.model,
    messages,
    stream: true,
    keep_alive: settings.keepAlive,
    options,
  };
  const tools = selectTools(request);
  if (tools.length > 0) {
    body.tools = tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.parameters as NonNullable<
          NonNullable<OllamaChatRequest['tools']>[number]['function']['parameters']
        >,
      },
    }));
  }
  if (request.responseFormat?.type === 'json_object') body.format = 'json';
  if (request.responseFormat?.type === 'json_schema') body.format = request.responseFormat.schema;
  return body;
}

/** Ollama names the tool in a tool result; OpenAI gives the call id, so names are looked up by id. */
function toOllamaMessage(
  message: ChatMessage,
  index: number,
  toolNamesById: Map<string, string>,
  downloadedImages: ReadonlyMap<string, string>,
): OllamaMessage {
  if (message.role === 'system') return { role: 'system', content: message.content };
  if (message.role === 'user') return userMessage(message.content, downloadedImages);
  if (message.role === 'tool') {
    const result: OllamaMessage = { role: 'tool', content: message.content };
    const name = toolNamesById.get(message.toolCallId);
    if (name !== undefined) result.tool_name = name;
    return result;
  }
  const result: OllamaMessage = { role: 'assistant', content: message.content };
  if (message.toolCalls.length > 0) {
    result.tool_calls = message.toolCalls.map((call, callIndex) => {
      toolNamesById.set(call.id, call.name);
      return {
        function: {
          name: call.name,
          arguments: parseToolArguments(
            call.arguments,
            `messages.${index}.tool_calls.${callIndex}.function.arguments`,
          ),
        },
      };
    });
  }
  return result;
}

/**
 * Ollama has no `tool_choice`. `none` is honoured by sending no tools, a named function by sending only
 * that one; `required` cannot be enforced and is sent as `auto`.
 */
function selectTools(request: ChatRequest) {
  const choice = request.toolChoice;
  if (choice === 'none') return [];
  if (typeof choice === 'object') return request.tools.filter((tool) => tool.name === choice.name);
  return request.tools;
}

function userMessage(parts: ContentPart[], downloadedImages: ReadonlyMap<string, string>): OllamaMessage {
  let content = '';
  const images: string[] = [];
  for (const part of parts) {
    if (part.type === 'text') content += part.text;
    else if (part.source.kind === 'base64') images.push(part.source.data);
    else {
      const downloaded = downloadedImages.get(part.source.url);
      if (downloaded !== undefined) images.push(downloaded);
    }
  }
  const message: OllamaMessage = { role: 'user', content };
  if (images.length > 0) message.images = images;
  return message;
}
