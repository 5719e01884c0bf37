/**
 * @module routing/outcome-learning
 * Whether local models handle each complexity class well, learned from what their answers turned out
 * to be: errors, output cut by length, tool-call arguments that are not valid for the tool's schema, and
 * empty answers count against; good answers count for. Kept as decayed success/failure counts per
 * (provider, model, complexity) — a Beta posterior — so old verdicts fade and the estimate can recover.
 */
import type { ComplexityClass } from '../config/schema.js';
import type { ToolDefinition } from '../openai/chat-request.js';

/** What an answer looked like, summarised while it streamed. */
export interface AnswerSummary {
  failed: boolean;
  finishReason: string | undefined;
  /** The client set `max_tokens`: a length cut is then what it asked for, not a failure. */
  maxTokensGiven: boolean;
  textCharacters: number;
  toolCalls: ReadonlyArray<{ name: string; arguments: string }>;
}

export type AnswerVerdict = 'good' | 'error' | 'truncated' | 'invalid_tool_call' | 'empty';

export function judgeAnswer(summary: AnswerSummary, tools: readonly ToolDefinition[]): AnswerVerdict {
  if (summary.failed) return 'error';
  if (summary.finishReason === 'length' && !summary.maxTokensGiven) return 'truncated';
  for (const call of summary.toolCalls) {
    const tool = tools.find((candidate) => candidate.name === call.name);
    if (!tool || !argumentsFitSchema(call.arguments, tool.parameters)) return 'invalid_tool_call';
  }
  if (summary.toolCalls.length === 0 && summary.textCharacters === 0) return 'empty';
  return 'good';
}

/** Valid JSON object carrying every required property, with top-level types that match when declared. */
function argumentsFitSchema(text: string, schema: Record<string, unknown>): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  const value = parsed as Record<string, unknown>;
  const required = Array.isArray(schema.required) ? schema.required : [];
  for (const name of required) if (typeof name === 'string' && !(name in value)) return false;
  const properties = (schema.properties ?? {}) as Record<string, { type?: unknown }>;
  for (const [name, property] of Object.entries(properties)) {
    if (!(name in value) || typeof property?.type !== 'string') continue;
    if (!matchesType(value[name], property.type)) return false;
  }
  return true;
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      return true;
  }
}

export interface OutcomeCounts {
  provider: string;
  model: string;
  complexity: ComplexityClass;
  successes: number;
  failures: number;
  updatedAt: number;
}

/** Each new verdict multiplies older counts by this: about the last 30 answers matter. */
const decay = 0.97;
const priorSuccesses = 4;
const priorFailures = 1;
/** Verdicts older than this weigh half. */
export const evidenceHalfLifeMs = 6 * 3_600_000;

export class OutcomeLearner {
  private readonly counts = new Map<string, OutcomeCounts>();
  /** Bumped on every change, so persistence can tell whether there is anything new to save. */
  version = 0;

  constructor(initial: Iterable<OutcomeCounts> = []) {
    for (const row of initial) this.counts.set(key(row.provider, row.model, row.complexity), { ...row });
  }

  record(
    provider: string,
    model: string,
    complexity: ComplexityClass,
    verdict: AnswerVerdict,
    now: number,
  ): void {
    const id = key(provider, model, complexity);
    const row = this.counts.get(id) ?? {
      provider,
      model,
      complexity,
      successes: 0,
      failures: 0,
      updatedAt: now,
    };
    row.successes *= decay;
    row.failures *= decay;
    if (verdict === 'good') row.successes += 1;
    else row.failures += 1;
    row.updatedAt = now;
    this.counts.set(id, row);
    this.version += 1;
  }

  /**
   * Posterior mean success rate with a Beta(4, 1) prior: a model is trusted until it shows otherwise,
   * and one bad answer alone does not take it off a class (two in a row do). With `now`, evidence also
   * fades with time (half-life `evidenceHalfLifeMs`), so a model taken off recovers even when no new
   * verdict comes in — after an hour's outage, a driver update, a new quantisation.
   */
  successRate(provider: string, model: string, complexity: ComplexityClass, now?: number): number {
    const row = this.counts.get(key(provider, model, complexity));
    const age = row && now !== undefined ? Math.max(0, now - row.updatedAt) : 0;
    const weight = 2 ** (-age / evidenceHalfLifeMs);
    const successes = (row?.successes ?? 0) * weight + priorSuccesses;
    const failures = (row?.failures ?? 0) * weight + priorFailures;
    return successes / (successes + failures);
  }

  rows(): OutcomeCounts[] {
    return [...this.counts.values()].map((row) => ({ ...row }));
  }
}

function key(provider: string, model: string, complexity: string): string {
  return `${provider}\u0000${model}\u0000${complexity}`;
}
