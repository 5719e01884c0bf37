/**
 * @module routing/features
 * What `decide()` knows about a request: its size per local model (the fast estimate, calibrated per
 * model), the expected output, tools, images, structured output, conversation depth and complexity.
 * Pure: computed from the request and from learned numbers passed in.
 */
import type { ComplexityClass } from '../config/schema.js';
import type { ChatRequest } from '../openai/chat-request.js';
import { requestText } from '../openai/chat-request.js';
import type { RequestSize } from '../openai/request-size.js';
import { type ComplexityClassifier, heuristicComplexityClassifier } from './complexity.js';

export interface RequestFeatures {
  /** switchyard's uncalibrated estimate; per-model calibration is applied in prediction. */
  estimatedPromptTokens: number;
  /** `max_tokens` when the client gave it, else the learned typical output for this client. */
  expectedOutputTokens: number;
  /** Whether `expectedOutputTokens` came from the client (a hard cap) or was learned. */
  outputTokensGiven: boolean;
  /** The client's `max_tokens`, if any (a cap for the decode-time bound). */
  maxTokens?: number;
  /**
   * The client's typical (median) answer length, capped by `max_tokens`, once learned: the output the
   * point prediction uses. `expectedOutputTokens` stays the cautious budget (twice the typical length).
   */
  typicalOutputTokens?: number;
  /** Spread (standard deviation of the logarithm) of the client's answer lengths, once learned. */
  outputLogSigma?: number;
  toolCount: number;
  imageCount: number;
  structuredOutput: boolean;
  /** Number of user turns so far. */
  conversationDepth: number;
  complexity: ComplexityClass;
  /** All the request's text, for privacy rules (not stored). */
  text: string;
}

export interface FeatureInput {
  request: ChatRequest;
  size: RequestSize;
  /** Learned typical completion tokens for this client, when known. */
  learnedOutputTokens?: number;
  /** Learned spread (log scale) of this client's completion tokens, when known. */
  learnedOutputLogSigma?: number;
  classifier?: ComplexityClassifier;
}

/** Output assumed for a client switchyard has not learned yet: a typical code answer. */
export const defaultExpectedOutputTokens = 400;

export function extractFeatures(input: FeatureInput): RequestFeatures {
  const { request, size } = input;
  const text = requestText(request);
  let latestUserText = '';
  let conversationDepth = 0;
  for (const message of request.messages) {
    if (message.role !== 'user') continue;
    conversationDepth += 1;
    latestUserText = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  }
  const classifier = input.classifier ?? heuristicComplexityClassifier;
  const { complexity } = classifier.classify(text, latestUserText);
  const learned = input.learnedOutputTokens ?? defaultExpectedOutputTokens;
  const features: RequestFeatures = {
    estimatedPromptTokens: size.estimatedTokens,
    expectedOutputTokens:
      request.maxTokens !== undefined ? Math.min(request.maxTokens, learned * 2) : learned,
    outputTokensGiven: request.maxTokens !== undefined,
    toolCount: size.toolCount,
    imageCount: size.imageCount,
    structuredOutput: request.responseFormat !== undefined && request.responseFormat.type !== 'text',
    conversationDepth,
    complexity,
    text,
  };
  if (request.maxTokens !== undefined) features.maxTokens = request.maxTokens;
  if (input.learnedOutputTokens !== undefined && input.learnedOutputLogSigma !== undefined) {
    features.typicalOutputTokens = Math.min(
      request.maxTokens ?? Number.POSITIVE_INFINITY,
      input.learnedOutputTokens,
    );
    features.outputLogSigma = input.learnedOutputLogSigma;
  }
  return features;
}
