/**
 * @module tokenizer
 * A small deterministic tokenizer standing in for a model's BPE vocabulary, so that prompt and output
 * tokens can be counted by the simulator, by tests and by the benchmark oracle alike. It averages
 * roughly four characters per token on English prose, close enough to real vocabularies for timing.
 *
 * Rules, applied left to right: a chat-template marker such as `<|im_start|>` is one token; whitespace
 * before a marker is one token; otherwise a token is any leading whitespace plus up to four
 * letters/digits/underscores, or any leading whitespace plus one other character; whitespace at the very
 * end is one token. A prefix of a text that ends on a
 * token boundary tokenizes to the same leading tokens, which the prefix cache and streaming rely on.
 */

const tokenPattern = /<\|[a-z_]+\|>|\s+(?=<\|[a-z_]+\|>)|\s*[\p{L}\p{N}_]{1,4}|\s*[^\s\p{L}\p{N}_]|\s+/gu;

/** Splits text into tokens; joining them gives the text back. */
export function tokenize(text: string): string[] {
  return text.match(tokenPattern) ?? [];
}

/** Number of tokens in a text. */
export function countTokens(text: string): number {
  return tokenize(text).length;
}

/** Length of the shared leading run of two token lists (how much of a prompt a cache can reuse). */
export function commonPrefixLength(left: readonly string[], right: readonly string[]): number {
  const limit = Math.min(left.length, right.length);
  let index = 0;
  while (index < limit && left[index] === right[index]) index++;
  return index;
}
