/**
 * @module providers/anthropic/cache-breakpoints
 * Prompt-caching breakpoints on an outgoing Messages API body. Anthropic caches a prompt prefix only up
 * to a block marked `cache_control: {type: "ephemeral"}` (in prompt order: tools, system, messages), at
 * most 4 marks per request (a 5th is a 400). Coding tools resend the same tools, system prompt and
 * history on every turn, so marking the end of each stable part makes every later turn a cache read
 * (a tenth of the input price) instead of full-price input. A prefix shorter than the model's minimum
 * is simply not cached, without error, so marks are placed without counting tokens.
 */
import type {
  CacheControlEphemeral,
  ContentBlockParam,
  MessageParam,
  TextBlockParam,
  ToolUnion,
} from '@anthropic-ai/sdk/resources/messages';
import type { AnthropicRequestBody } from './request.js';

/** The API refuses a request with more `cache_control` marks than this. */
export const MAX_CACHE_BREAKPOINTS = 4;

/** A block that can carry a mark: tool definitions, system text blocks and message content blocks. */
type Markable = { cache_control?: CacheControlEphemeral | null };

/**
 * Marks, in order of value, until 4 marks are on the body (counting any it already carries):
 * 1. the last tool definition: tools change least, and come first in the prompt;
 * 2. the last system block: a changed conversation still reads tools + system;
 * 3. the last block of the final user turn: the next turn of this conversation reads all of it;
 * 4. the last block of the user turn before it: the API looks back only ~20 blocks from a mark for an
 *    earlier cache entry, so a turn that added many blocks (parallel tool calls and their results)
 *    would otherwise miss the entry the previous request wrote there.
 * The turns (3 and 4) only once the conversation has an assistant turn: a request with none is as often
 * a one-shot question (a script, a review of one file) as the start of a chat, and writing it to the
 * cache costs 1.25× its input price, repaid only if the same prefix is read again within 5 minutes. Tools
 * and the system prompt are shared by every request of a client, so they are always worth marking.
 * A block already marked is not marked again. Mutates `body`; a string `system` becomes one text block,
 * the only form that can carry a mark.
 */
export function addCacheBreakpoints(body: AnthropicRequestBody): void {
  let marks = countMarks(body);
  // `find` runs only while a mark can still be placed: it may turn string content into a block.
  const mark = (find: () => Markable | undefined) => {
    if (marks >= MAX_CACHE_BREAKPOINTS) return;
    const block = find();
    if (!block || block.cache_control) return;
    block.cache_control = { type: 'ephemeral' };
    marks += 1;
  };
  mark(() => body.tools?.at(-1) as Markable | undefined);
  mark(() => lastSystemBlock(body));
  if (!body.messages.some((message) => message.role === 'assistant')) return;
  const userTurns = body.messages.filter((message) => message.role === 'user');
  mark(() => lastMarkableBlock(userTurns.at(-1)));
  mark(() => lastMarkableBlock(userTurns.at(-2)));
}

function lastSystemBlock(body: AnthropicRequestBody): Markable | undefined {
  if (typeof body.system === 'string') {
    if (body.system.trim() === '') return undefined;
    body.system = [{ type: 'text', text: body.system }];
  }
  return lastMarkable(body.system ?? []);
}

function countMarks(body: AnthropicRequestBody): number {
  const blocks: object[] = [
    ...((body.tools ?? []) as ToolUnion[]),
    ...(Array.isArray(body.system) ? body.system : []),
    ...body.messages.flatMap((message) => (Array.isArray(message.content) ? message.content : [])),
  ];
  return blocks.filter((block) => 'cache_control' in block && block.cache_control).length;
}

/**
 * The last block of a turn that may carry a mark. A string content becomes one text block first.
 * Thinking blocks cannot be marked, and an empty text block is refused by the API whatever it carries.
 */
function lastMarkableBlock(message: MessageParam | undefined): Markable | undefined {
  if (!message) return undefined;
  if (typeof message.content === 'string') {
    if (message.content.trim() === '') return undefined;
    message.content = [{ type: 'text', text: message.content }];
  }
  return lastMarkable(message.content);
}

function lastMarkable(blocks: ReadonlyArray<ContentBlockParam | TextBlockParam>): Markable | undefined {
  for (let index = blocks.length - 1; index >= 0; index -= 1) {
    const block = blocks[index];
    if (!block || block.type === 'thinking' || block.type === 'redacted_thinking') continue;
    if (block.type === 'text' && block.text.trim() === '') continue;
    return block as Markable;
  }
  return undefined;
}
