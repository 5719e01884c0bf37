/**
 * @module bench/routing/workload
 * The seeded workload of the routing benchmark: coding requests from three kinds of client (an inline
 * assistant with tight deadlines, a chat panel, a batch review bot), of three sizes (a short question, a
 * request with one file, a request with several files), with output lengths set by `[sim:tokens=N]`
 * under the `max_tokens` cap each client would set, and arrival times (open loop) with two idle gaps
 * long enough for the local model to be unloaded. Times are in simulated milliseconds; the runner
 * divides them by the speed factor.
 */
import { createRandom, type RandomSource } from '../upstreams/shared/seeded-random.js';

export type SizeClass = 'small' | 'medium' | 'large';
export type ClientClass = 'interactive' | 'chat' | 'batch';

export interface WorkloadRequest {
  index: number;
  /** Arrival, simulated ms after the start. */
  arrivalMs: number;
  size: SizeClass;
  client: ClientClass;
  /** The product token of the client's user agent (switchyard learns output length per client). */
  userAgent: string;
  system: string;
  user: string;
  /** The answer's length the simulators are told to produce (before the max_tokens cap). */
  outputTokens: number;
  maxTokens: number;
  /** Whole-answer deadline, simulated ms (sent as x-switchyard-deadline-ms, scaled). */
  deadlineMs: number;
  /** Characters of system + user text (what a client can cheaply measure). */
  characters: number;
}

export interface WorkloadOptions {
  seed: number;
  count: number;
  /** Mean gap between arrivals, simulated ms (exponential). */
  meanGapMs: number;
  /** Idle periods (no arrivals), simulated ms, inserted before these shares of the workload. */
  idleGapMs: number;
  idleAt: readonly number[];
}

interface ClientProfile {
  userAgent: string;
  maxTokens: number;
  /** Output tokens: log-normal around the median, clamped to [min, max]. */
  outputMedian: number;
  outputSpread: number;
  outputMin: number;
  outputMax: number;
  /** Deadline range, simulated ms. */
  deadlineMs: [number, number];
  system: string;
}

const clients: Record<ClientClass, ClientProfile> = {
  interactive: {
    userAgent: 'inline-assist/1.4.2',
    maxTokens: 256,
    outputMedian: 70,
    outputSpread: 0.45,
    outputMin: 30,
    outputMax: 200,
    deadlineMs: [4_000, 8_000],
    system:
      'You are an inline coding assistant inside an editor. Answer with the smallest correct change. ' +
      'Prefer a code snippet over prose, keep explanations to one sentence, follow the project style, ' +
      'and never invent APIs that are not in the code you were shown.',
  },
  chat: {
    userAgent: 'chat-panel/2.0.1',
    maxTokens: 1024,
    outputMedian: 240,
    outputSpread: 0.4,
    outputMin: 80,
    outputMax: 500,
    deadlineMs: [15_000, 30_000],
    system:
      'You are a senior software engineer helping a colleague in a chat panel next to their editor. ' +
      'Explain your reasoning briefly, show complete code for anything you change, point out edge cases ' +
      'and tests that should be added, and ask before making assumptions about the build or runtime. ' +
      'Use TypeScript unless the question is about another language.',
  },
  batch: {
    userAgent: 'review-bot/0.9.0',
    maxTokens: 2048,
    outputMedian: 400,
    outputSpread: 0.3,
    outputMin: 200,
    outputMax: 600,
    deadlineMs: [60_000, 120_000],
    system:
      'You review pull requests. For every file, list correctness problems first, then performance and ' +
      'readability issues, each with the line it concerns and a concrete fix. Finish with a short summary ' +
      'and a verdict: approve, approve with comments, or request changes. Be precise and do not repeat ' +
      'the diff back.',
  },
};

/**
 * How long a client's answers are: log-normal around `median` with log-spread `spread`, clamped to
 * [min, max] and capped by `maxTokens`. For the analysis's bounds of what a prediction that does not
 * know an answer's length can achieve; switchyard does not see it (it learns lengths per client).
 */
export function answerLengthDistribution(client: ClientClass): {
  median: number;
  spread: number;
  min: number;
  max: number;
} {
  const profile = clients[client];
  return {
    median: profile.outputMedian,
    spread: profile.outputSpread,
    min: Math.min(profile.outputMin, profile.maxTokens),
    max: Math.min(profile.outputMax, profile.maxTokens),
  };
}

/** Which client sends a request of each size: inline edits are small, reviews are large. */
const clientMix: Record<SizeClass, Array<[ClientClass, number]>> = {
  small: [
    ['interactive', 0.55],
    ['chat', 0.4],
    ['batch', 0.05],
  ],
  medium: [
    ['interactive', 0.3],
    ['chat', 0.45],
    ['batch', 0.25],
  ],
  large: [
    ['interactive', 0.1],
    ['chat', 0.4],
    ['batch', 0.5],
  ],
};

const sizeMix: Array<[SizeClass, number]> = [
  ['small', 0.35],
  ['medium', 0.4],
  ['large', 0.25],
];

/** Target prompt size in characters (the simulator's tokenizer gives roughly 3 characters per token of code). */
const sizeCharacters: Record<SizeClass, [number, number]> = {
  small: [150, 1_400],
  medium: [2_500, 14_000],
  large: [20_000, 60_000],
};

const questions = [
  'How do I debounce this handler so it fires at most once every 300 ms?',
  'Why does this loop never terminate when the list is empty?',
  'Rename this variable everywhere in the function and keep the behaviour.',
  'What is the idiomatic way to parse an ISO date without a library here?',
  'Convert this callback code to async/await.',
  'Add input validation that rejects negative amounts.',
  'Is there an off-by-one error in this slice?',
  'Write a unit test for the empty case.',
  'Explain what this regular expression matches.',
  'Make this function generic over the element type.',
];

const mediumTasks = [
  'Refactor this module so the cache can be swapped out in tests, and explain the change.',
  'Find the bug in this file: the retry counter is never reset after a success.',
  'Add pagination to the list endpoint below; keep the response shape backwards compatible.',
  'This parser is slow on large inputs. Optimise it and say what the complexity was before and after.',
  'Write tests for the public functions in this file, covering the error paths.',
  'Port this file from callbacks to promises without changing its exported API.',
];

const largeTasks = [
  'Review this change across the following files and list every problem you find.',
  'These modules have a race condition when two requests update the same record. Find the root cause and fix it.',
  'Migrate the following files from the old config loader to the new one; keep behaviour identical.',
  'Explain how data flows through these files and propose a design that removes the circular import.',
];

const identifiers = [
  'user',
  'order',
  'cache',
  'entry',
  'request',
  'response',
  'record',
  'token',
  'session',
  'item',
  'value',
  'result',
  'handler',
  'queue',
  'buffer',
  'config',
  'limit',
  'offset',
  'count',
  'total',
];
const types = ['string', 'number', 'boolean', 'Record<string, number>', 'User[]', 'Promise<void>', 'Order'];
const directories = ['src/api', 'src/db', 'src/core', 'src/util', 'src/routes', 'lib/cache', 'test/unit'];

function pick<T>(random: RandomSource, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function uniform(random: RandomSource, low: number, high: number): number {
  return low + (high - low) * random();
}

function weighted<T>(random: RandomSource, choices: ReadonlyArray<[T, number]>): T {
  let roll = random();
  for (const [value, weight] of choices) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return choices[choices.length - 1]![0];
}

function normal(random: RandomSource): number {
  // Box-Muller; 1 - random() keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function name(random: RandomSource): string {
  const first = pick(random, identifiers);
  const second = pick(random, identifiers);
  return `${first}${second.charAt(0).toUpperCase()}${second.slice(1)}`;
}

function codeLine(random: RandomSource, depth: number): string {
  const indent = '  '.repeat(depth);
  switch (Math.floor(random() * 9)) {
    case 0:
      return `${indent}const ${name(random)} = ${name(random)}.filter((x) => x.${pick(random, identifiers)} > ${Math.floor(random() * 100)});`;
    case 1:
      return `${indent}if (!${name(random)}) throw new Error('missing ${pick(random, identifiers)}');`;
    case 2:
      return `${indent}return ${name(random)}.map((entry) => ({ ...entry, ${pick(random, identifiers)}: entry.${pick(random, identifiers)} ?? 0 }));`;
    case 3:
      return `${indent}for (const ${pick(random, identifiers)} of ${name(random)}) ${name(random)}.set(${pick(random, identifiers)}.id, ${pick(random, identifiers)});`;
    case 4:
      return `${indent}const ${name(random)}: ${pick(random, types)} = await this.${name(random)}(${pick(random, identifiers)}, { signal });`;
    case 5:
      return `${indent}// ${pick(random, identifiers)} is read before ${pick(random, identifiers)} is written, see ${pick(random, directories)}`;
    case 6:
      return `${indent}${name(random)} += ${name(random)}.length * ${Math.floor(random() * 16) + 1};`;
    case 7:
      return `${indent}logger.debug(\`${pick(random, identifiers)} \${${name(random)}} took \${Date.now() - started} ms\`);`;
    default:
      return `${indent}await ${name(random)}.${pick(random, ['save', 'load', 'flush', 'close', 'update'])}(${name(random)});`;
  }
}

/** A source file of roughly `characters` characters: functions with bodies of generated lines. */
function sourceFile(random: RandomSource, characters: number): string {
  const lines: string[] = [
    `import { ${name(random)}, ${name(random)} } from './${pick(random, identifiers)}.js';`,
    '',
  ];
  let length = lines[0]!.length;
  while (length < characters) {
    const header = `export async function ${name(random)}(${pick(random, identifiers)}: ${pick(random, types)}): ${pick(random, types)} {`;
    lines.push(header);
    length += header.length;
    const body = 3 + Math.floor(random() * 10);
    for (let line = 0; line < body && length < characters; line++) {
      const text = codeLine(random, 1);
      lines.push(text);
      length += text.length + 1;
    }
    lines.push('}', '');
  }
  return lines.join('\n');
}

function filePath(random: RandomSource): string {
  return `${pick(random, directories)}/${pick(random, identifiers)}-${pick(random, identifiers)}.ts`;
}

function userText(random: RandomSource, size: SizeClass, characters: number): string {
  if (size === 'small') {
    const question = pick(random, questions);
    const snippet = characters - question.length;
    if (snippet < 120) return question;
    return `${question}\n\n\`\`\`ts\n${sourceFile(random, snippet)}\n\`\`\``;
  }
  if (size === 'medium') {
    const path = filePath(random);
    return `${pick(random, mediumTasks)}\n\n${path}:\n\`\`\`ts\n${sourceFile(random, characters)}\n\`\`\``;
  }
  const files = 3 + Math.floor(random() * 5);
  const parts = [pick(random, largeTasks)];
  for (let file = 0; file < files; file++) {
    parts.push(`${filePath(random)}:\n\`\`\`ts\n${sourceFile(random, characters / files)}\n\`\`\``);
  }
  return parts.join('\n\n');
}

export function generateWorkload(options: WorkloadOptions): WorkloadRequest[] {
  const random = createRandom(options.seed);
  const requests: WorkloadRequest[] = [];
  const idleBefore = new Set(options.idleAt.map((share) => Math.round(share * options.count)));
  let clock = 0;
  for (let index = 0; index < options.count; index++) {
    clock += -Math.log(1 - random()) * options.meanGapMs;
    if (idleBefore.has(index) && index > 0) clock += options.idleGapMs;
    const size = weighted(random, sizeMix);
    const client = weighted(random, clientMix[size]);
    const profile = clients[client];
    const [low, high] = sizeCharacters[size];
    // Log-uniform: as many 2k-character requests as 10k ones within a class.
    const characters = Math.round(Math.exp(uniform(random, Math.log(low), Math.log(high))));
    const output = Math.round(
      Math.min(
        profile.outputMax,
        Math.max(profile.outputMin, profile.outputMedian * Math.exp(profile.outputSpread * normal(random))),
      ),
    );
    const [deadlineLow, deadlineHigh] = profile.deadlineMs;
    const deadlineMs = Math.round(uniform(random, deadlineLow, deadlineHigh) / 100) * 100;
    const body = userText(random, size, characters);
    const user = `${body}\n\n[sim:tokens=${output}]`;
    requests.push({
      index,
      arrivalMs: Math.round(clock),
      size,
      client,
      userAgent: profile.userAgent,
      system: profile.system,
      user,
      outputTokens: output,
      maxTokens: profile.maxTokens,
      deadlineMs,
      characters: profile.system.length + user.length,
    });
  }
  return requests;
}
