/**
 * @module Decides what the simulated Gemini model answers for one candidate: thoughts, text, JSON or
 * function calls, and the finish reason. Thoughts are spent before visible output and count against
 * `maxOutputTokens`, as on Gemini 2.5, so a small limit can end in MAX_TOKENS with no text at all.
 */
import { type Directives, parseDirectives, requestedTools, stripDirectives } from '../shared/directives.js';
import { sampleFromSchema } from '../shared/json-from-schema.js';
import { isObject, type JsonObject } from '../shared/json-object.js';
import { pick, type RandomSource, randomId, randomInt } from '../shared/seeded-random.js';
import { estimateTokens, generateWordPieces, splitIntoPieces } from '../shared/text-generator.js';
import type { GeminiModelProfile } from './models.js';
import type { FunctionDeclaration, GenerateContentRequest } from './request-types.js';

export type PlannedItem =
  | { readonly kind: 'text'; readonly pieces: readonly string[] }
  | { readonly kind: 'functionCall'; readonly name: string; readonly args: unknown; readonly tokens: number };

export interface CandidatePlan {
  readonly thoughtTokens: number;
  /** Thought-summary pieces, present only with `includeThoughts`. */
  readonly thoughtPieces: readonly string[];
  readonly items: readonly PlannedItem[];
  readonly visibleTokens: number;
  readonly finishReason: string;
  /** Sent on the first function-call part when the model thought, as Gemini 2.5 does. */
  readonly thoughtSignature: string | undefined;
}

/** Finish reasons after which the service withholds the candidate's content. */
export const WITHHELD = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'MALFORMED_FUNCTION_CALL',
]);
const DEFAULT_JSON_SCHEMA: JsonObject = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
};

export function planCandidate(
  request: GenerateContentRequest,
  profile: GeminiModelProfile,
  userText: string,
  random: RandomSource,
): CandidatePlan {
  const directives = parseDirectives(userText);
  const config = request.generationConfig ?? {};
  const thinking = config.thinkingConfig ?? {};
  const thoughtTokens = planThoughts(profile, thinking.thinkingBudget, random);
  let budget = (config.maxOutputTokens ?? profile.outputTokenLimit) - thoughtTokens;
  const thoughtSignature = thoughtTokens > 0 ? `Ci${randomId(random, 120)}` : undefined;
  const thoughtPieces =
    thinking.includeThoughts && thoughtTokens > 0 ? generateWordPieces(random, thoughtTokens) : [];
  if (budget < 0) {
    const visibleThoughts = thoughtPieces.slice(0, thoughtTokens + budget);
    return plan(thoughtTokens + budget, visibleThoughts, [], 'MAX_TOKENS', undefined);
  }
  const calls = chooseFunctions(request, userText, directives);
  if (calls.length > 0) {
    const items: PlannedItem[] = [];
    for (const declaration of calls) {
      const args = sampleFromSchema(declaration.parameters ?? declaration.parametersJsonSchema, random, {
        requiredOnly: true,
      });
      const tokens = estimateTokens(`${declaration.name}${JSON.stringify(args)}`);
      if (tokens > budget) return plan(thoughtTokens, thoughtPieces, items, 'MAX_TOKENS', thoughtSignature);
      budget -= tokens;
      items.push({ kind: 'functionCall', name: declaration.name ?? '', args, tokens });
    }
    return plan(thoughtTokens, thoughtPieces, items, 'STOP', thoughtSignature);
  }
  let pieces = answerPieces(request, userText, directives, random);
  let finishReason = directives.finish?.toUpperCase() ?? 'STOP';
  const stop = (config.stopSequences ?? [])
    .map((sequence) => pieces.join('').indexOf(sequence))
    .filter((at) => at >= 0)
    .sort((left, right) => left - right)[0];
  if (stop !== undefined) pieces = splitIntoPieces(pieces.join('').slice(0, stop));
  else if (directives.stop && (config.stopSequences ?? []).length > 0)
    pieces = pieces.slice(0, Math.ceil(pieces.length / 2));
  if (WITHHELD.has(finishReason)) pieces = pieces.slice(0, Math.ceil(pieces.length / 2));
  if (pieces.length > budget) {
    pieces = pieces.slice(0, budget);
    finishReason = 'MAX_TOKENS';
  }
  return plan(
    thoughtTokens,
    thoughtPieces,
    pieces.length > 0 ? [{ kind: 'text', pieces }] : [],
    finishReason,
    undefined,
  );
}

function plan(
  thoughtTokens: number,
  thoughtPieces: readonly string[],
  items: readonly PlannedItem[],
  finishReason: string,
  thoughtSignature: string | undefined,
): CandidatePlan {
  const visibleTokens = items.reduce(
    (sum, item) => sum + (item.kind === 'text' ? item.pieces.length : item.tokens),
    0,
  );
  return { thoughtTokens, thoughtPieces, items, visibleTokens, finishReason, thoughtSignature };
}

/**
 * Thought tokens for one answer: the model's own amount when the budget is left to it (absent or -1),
 * capped by a positive budget, none for 0 where the model allows. Models that do not think by default
 * (Flash-Lite) think only when given a budget.
 */
function planThoughts(profile: GeminiModelProfile, budget: number | undefined, random: RandomSource): number {
  if (budget === 0 && profile.canDisableThinking) return 0;
  const [min, max] = profile.defaultThoughtTokens;
  const thinksByDefault = max > 0;
  if (!thinksByDefault && (budget === undefined || budget === 0)) return 0;
  const natural = thinksByDefault ? randomInt(random, min, max) : randomInt(random, 16, 48);
  return budget !== undefined && budget > 0 ? Math.min(budget, natural) : natural;
}

function chooseFunctions(
  request: GenerateContentRequest,
  userText: string,
  directives: Directives,
): FunctionDeclaration[] {
  const declarations = (request.tools ?? []).flatMap((tool) => tool.functionDeclarations ?? []);
  const callingConfig = request.toolConfig?.functionCallingConfig;
  const mode = callingConfig?.mode ?? 'AUTO';
  if (declarations.length === 0 || mode === 'NONE') return [];
  const allowed = callingConfig?.allowedFunctionNames;
  const candidates =
    mode === 'ANY' && allowed?.length
      ? declarations.filter((entry) => allowed.includes(entry.name ?? ''))
      : declarations;
  const names = candidates.map((entry) => entry.name ?? '');
  const lastParts = request.contents?.at(-1)?.parts ?? [];
  const answersResponses = lastParts.some((part) => part.functionResponse !== undefined);
  const asked = answersResponses && !directives.tool ? [] : requestedTools(userText, names, directives);
  const chosen = mode === 'ANY' && asked.length === 0 ? names.slice(0, 1) : asked;
  return chosen.flatMap((name) => candidates.filter((entry) => entry.name === name).slice(0, 1));
}

function answerPieces(
  request: GenerateContentRequest,
  userText: string,
  directives: Directives,
  random: RandomSource,
): string[] {
  const config = request.generationConfig ?? {};
  if (directives.echo) {
    const echoed = stripDirectives(userText);
    if (echoed !== '') return splitIntoPieces(echoed);
  }
  if (config.responseMimeType === 'text/x.enum') {
    const values = Array.isArray(config.responseSchema?.enum) ? config.responseSchema.enum : ['UNKNOWN'];
    return splitIntoPieces(String(pick(random, values)));
  }
  if (directives.json || config.responseMimeType === 'application/json') {
    const schema = config.responseJsonSchema ?? config.responseSchema ?? DEFAULT_JSON_SCHEMA;
    return splitIntoPieces(
      JSON.stringify(sampleFromSchema(isObject(schema) ? schema : {}, random, { requiredOnly: false })),
    );
  }
  return generateWordPieces(random, directives.tokens ?? randomInt(random, 20, 60));
}
