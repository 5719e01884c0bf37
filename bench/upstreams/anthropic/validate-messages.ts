/**
 * @module Validation of `messages` as the Messages API does it: content block shapes, user/assistant
 * alternation, and pairing of every `tool_result` with a `tool_use` of the previous assistant turn.
 * Errors reuse the API's wording, so the adapter's conversion of tool turns is tested for real.
 */
import { isObject, type JsonObject } from '../shared/json-object.js';
import { invalidRequest } from './errors.js';
import type { ClaudeMessage } from './request-types.js';

const BLOCK_TYPES = [
  'text',
  'image',
  'document',
  'search_result',
  'tool_use',
  'tool_result',
  'thinking',
  'redacted_thinking',
  'server_tool_use',
  'web_search_tool_result',
];
const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** Validated conversation, plus system text carried as `role: "system"` messages (newer SDKs allow it). */
export interface ValidatedMessages {
  readonly messages: ClaudeMessage[];
  readonly systemBlocks: JsonObject[];
}

export function validateMessages(value: unknown): ValidatedMessages {
  if (value === undefined) throw invalidRequest('messages: Field required');
  if (!Array.isArray(value)) throw invalidRequest('messages: Input should be a valid list');
  const messages: ClaudeMessage[] = [];
  const systemBlocks: JsonObject[] = [];
  value.forEach((entry: unknown, index) => {
    if (!isObject(entry)) throw invalidRequest(`messages.${index}: Input should be a valid dictionary`);
    const blocks = validateContent(entry.content, `messages.${index}`);
    if (entry.role === 'system') {
      systemBlocks.push(...blocks);
      return;
    }
    if (entry.role !== 'user' && entry.role !== 'assistant') {
      throw invalidRequest(`messages.${index}.role: Input should be 'user' or 'assistant'`);
    }
    const final = index === value.length - 1;
    if (blocks.length === 0 && !(final && entry.role === 'assistant')) {
      throw invalidRequest(
        `messages.${index}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }
    checkBlockPlacement(entry.role, blocks, index);
    messages.push({ role: entry.role, blocks });
  });
  if (messages.length === 0) throw invalidRequest('messages: at least one message is required');
  checkAlternation(messages);
  checkToolPairing(messages);
  checkPrefill(messages);
  return { messages, systemBlocks };
}

function validateContent(content: unknown, path: string): JsonObject[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalidRequest(`${path}.content: Input should be a valid list`);
  return content.map((block: unknown, index) => validateBlock(block, `${path}.content.${index}`));
}

function validateBlock(block: unknown, path: string): JsonObject {
  if (!isObject(block)) throw invalidRequest(`${path}: Input should be a valid dictionary`);
  const type = block.type;
  if (typeof type !== 'string' || !BLOCK_TYPES.includes(type)) {
    const expected = BLOCK_TYPES.map((name) => `'${name}'`).join(', ');
    throw invalidRequest(
      `${path}: Input tag '${String(type)}' found using 'type' does not match any of the expected tags: ${expected}`,
    );
  }
  switch (type) {
    case 'text':
      if (typeof block.text !== 'string') throw invalidRequest(`${path}.text.text: Field required`);
      if (block.text === '') throw invalidRequest('messages: text content blocks must be non-empty');
      break;
    case 'image':
      validateImageSource(block.source, `${path}.image.source`);
      break;
    case 'tool_use':
      if (typeof block.id !== 'string') throw invalidRequest(`${path}.tool_use.id: Field required`);
      if (typeof block.name !== 'string') throw invalidRequest(`${path}.tool_use.name: Field required`);
      if (!isObject(block.input))
        throw invalidRequest(`${path}.tool_use.input: Input should be a valid dictionary`);
      break;
    case 'tool_result':
      if (typeof block.tool_use_id !== 'string') {
        throw invalidRequest(`${path}.tool_result.tool_use_id: Field required`);
      }
      if (block.content !== undefined && typeof block.content !== 'string') {
        validateContent(block.content, `${path}.tool_result`);
      }
      break;
    case 'thinking':
      if (typeof block.thinking !== 'string' || typeof block.signature !== 'string') {
        throw invalidRequest(`${path}.thinking.signature: Field required`);
      }
      break;
  }
  return block;
}

function validateImageSource(source: unknown, path: string): void {
  if (!isObject(source)) throw invalidRequest(`${path}: Field required`);
  if (source.type === 'base64') {
    if (typeof source.media_type !== 'string' || !IMAGE_MEDIA_TYPES.includes(source.media_type)) {
      throw invalidRequest(
        `${path}.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`,
      );
    }
    if (typeof source.data !== 'string') throw invalidRequest(`${path}.base64.data: Field required`);
  } else if (source.type === 'url') {
    if (typeof source.url !== 'string') throw invalidRequest(`${path}.url.url: Field required`);
  } else if (source.type !== 'file') {
    throw invalidRequest(
      `${path}: Input tag '${String(source.type)}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`,
    );
  }
}

function checkBlockPlacement(role: 'user' | 'assistant', blocks: readonly JsonObject[], index: number): void {
  blocks.forEach((block, blockIndex) => {
    if (role === 'user' && (block.type === 'tool_use' || block.type === 'thinking')) {
      throw invalidRequest(
        `messages.${index}.content.${blockIndex}: \`${String(block.type)}\` blocks can only be in \`assistant\` messages`,
      );
    }
    if (role === 'assistant' && (block.type === 'tool_result' || block.type === 'image')) {
      throw invalidRequest(
        `messages.${index}.content.${blockIndex}: \`${String(block.type)}\` blocks can only be in \`user\` messages`,
      );
    }
  });
}

function checkAlternation(messages: readonly ClaudeMessage[]): void {
  if (messages[0]?.role !== 'user') throw invalidRequest('messages: first message must use the "user" role');
  for (let index = 1; index < messages.length; index++) {
    const role = messages[index]?.role;
    if (role === messages[index - 1]?.role) {
      throw invalidRequest(
        `messages: roles must alternate between "user" and "assistant", but found multiple "${role}" roles in a row`,
      );
    }
  }
}

function checkToolPairing(messages: readonly ClaudeMessage[]): void {
  messages.forEach((message, index) => {
    if (message.role !== 'user') return;
    const previous = messages[index - 1];
    const offered = new Set(idsOf(previous?.blocks ?? [], 'tool_use', 'id'));
    message.blocks.forEach((block, blockIndex) => {
      if (block.type !== 'tool_result' || offered.has(String(block.tool_use_id))) return;
      throw invalidRequest(
        `messages.${index}.content.${blockIndex}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ` +
          `${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
      );
    });
    if (previous === undefined) return;
    const answered = new Set(idsOf(message.blocks, 'tool_result', 'tool_use_id'));
    const missing = [...offered].filter((id) => !answered.has(id));
    if (missing.length > 0) {
      throw invalidRequest(
        `messages.${index - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ` +
          `${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
  });
}

function checkPrefill(messages: readonly ClaudeMessage[]): void {
  const last = messages.at(-1);
  const lastBlock = last?.blocks.at(-1);
  if (last?.role === 'assistant' && lastBlock?.type === 'text' && /\s$/.test(String(lastBlock.text))) {
    throw invalidRequest('messages: final assistant content cannot end with trailing whitespace');
  }
}

function idsOf(blocks: readonly JsonObject[], type: string, field: string): string[] {
  return blocks.filter((block) => block.type === type).map((block) => String(block[field]));
}
