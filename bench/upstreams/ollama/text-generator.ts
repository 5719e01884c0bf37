/**
 * @module text-generator
 * Seeded stand-in for a model's output: prose with the occasional code block, produced as tokens of
 * `tokenizer.ts`, so that exactly N tokens can be produced and the text retokenizes to the same count.
 */
import type { Random } from './random.js';
import { tokenize } from './tokenizer.js';

// One string, split once: as an array literal the formatter would give every word its own line.
const proseWords: readonly string[] = `
the function returns a value when input is valid and otherwise throws an error we can use cache to
avoid recomputing result for each request this approach keeps code simple test covers edge cases
like empty arrays null values large numbers consider using map instead of object performance matters
here because loop runs often stream tokens model context window latency throughput memory module
import export type interface promise async await callback handler server client response status
header body parse string
`
  .trim()
  .split(/\s+/);

const codeLines = [
  'const result = items.map((item) => item.value);',
  'if (!input) throw new Error("missing input");',
  'export function sum(values: number[]): number {',
  '  return values.reduce((total, value) => total + value, 0);',
  '}',
  'for (const entry of entries) cache.set(entry.key, entry);',
  'const response = await fetch(url, { signal });',
  'return { ok: true, data };',
  'def parse(line):',
  '    return json.loads(line)',
] as const;

const languages = ['ts', 'python', 'js'] as const;

function sentence(random: Random): string {
  const length = random.integer(6, 16);
  const words: string[] = [];
  for (let index = 0; index < length; index++) words.push(random.pick(proseWords));
  const first = words[0] ?? 'the';
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  if (length > 9 && random.chance(0.4)) words[random.integer(3, length - 3)] += ',';
  return `${words.join(' ')}${random.pick(['.', '.', '.', '!', '?'])}`;
}

function codeBlock(random: Random): string {
  const lines: string[] = [];
  const count = random.integer(2, 5);
  for (let index = 0; index < count; index++) lines.push(random.pick(codeLines));
  return `\n\n\`\`\`${random.pick(languages)}\n${lines.join('\n')}\n\`\`\`\n\n`;
}

/** Exactly `count` tokens of seeded text; `withCode` mixes in fenced code blocks. */
export function generateTokens(random: Random, count: number, withCode = true): string[] {
  if (count <= 0) return [];
  let text = '';
  let tokens: string[] = [];
  // Text grows in passes and is retokenized as a whole, so token boundaries are those of the final text.
  while (tokens.length < count) {
    const target = count - tokens.length;
    let added = 0;
    while (added < target * 4 + 8) {
      const separator = text === '' || /\s$/.test(text) ? '' : ' ';
      const piece = withCode && random.chance(0.12) ? codeBlock(random) : `${separator}${sentence(random)}`;
      text += piece;
      added += piece.length;
    }
    tokens = tokenize(text);
  }
  return tokens.slice(0, count);
}
