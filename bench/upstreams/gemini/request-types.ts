/**
 * @module A `GenerateContentRequest` after the proto reader accepted it: lowerCamel field names, lists
 * where the API allows a single value, upper-case enums. Only what the simulator reads is typed.
 */
import type { JsonObject } from '../shared/json-object.js';

export interface GeminiPart {
  readonly text?: string;
  readonly thought?: boolean;
  readonly thoughtSignature?: string;
  readonly inlineData?: { readonly mimeType?: string; readonly data?: string };
  readonly fileData?: { readonly mimeType?: string; readonly fileUri?: string };
  readonly functionCall?: { readonly id?: string; readonly name?: string; readonly args?: unknown };
  readonly functionResponse?: { readonly id?: string; readonly name?: string; readonly response?: unknown };
  readonly executableCode?: unknown;
  readonly codeExecutionResult?: unknown;
}

export interface GeminiContent {
  readonly role?: string;
  readonly parts?: readonly GeminiPart[];
}

export interface FunctionDeclaration {
  readonly name?: string;
  readonly description?: string;
  /** OpenAPI-subset schema, already checked by the reader (upper-case types). */
  readonly parameters?: JsonObject;
  readonly parametersJsonSchema?: unknown;
}

export interface GeminiTool {
  readonly functionDeclarations?: readonly FunctionDeclaration[];
}

export interface GenerationConfig {
  readonly stopSequences?: readonly string[];
  readonly responseMimeType?: string;
  readonly responseSchema?: JsonObject;
  readonly responseJsonSchema?: unknown;
  readonly candidateCount?: number;
  readonly maxOutputTokens?: number;
  readonly thinkingConfig?: { readonly includeThoughts?: boolean; readonly thinkingBudget?: number };
}

export interface GenerateContentRequest {
  readonly contents?: readonly GeminiContent[];
  readonly systemInstruction?: GeminiContent;
  readonly tools?: readonly GeminiTool[];
  readonly toolConfig?: {
    readonly functionCallingConfig?: {
      readonly mode?: string;
      readonly allowedFunctionNames?: readonly string[];
    };
  };
  readonly generationConfig?: GenerationConfig;
}
