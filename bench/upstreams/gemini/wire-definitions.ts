/**
 * @module The subset of the Generative Language v1beta proto messages the simulator accepts, as field
 * tables for the proto reader. `Schema` lists exactly the OpenAPI-subset fields of the real message, so
 * any other JSON Schema keyword in `parameters` or `responseSchema` is rejected as the service rejects it;
 * `parametersJsonSchema` and `responseJsonSchema` are free-form values, as in the real API.
 */
import type { FieldKind, MessageDefinition } from './proto-reader.js';

const PACKAGE = 'google.ai.generativelanguage.v1beta';

const TYPE: FieldKind = {
  enumOf: `${PACKAGE}.Type`,
  values: ['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL'],
};

export const SCHEMA: MessageDefinition = { protoName: `${PACKAGE}.Schema`, fields: {} };
Object.assign(SCHEMA.fields, {
  type: TYPE,
  format: 'string',
  title: 'string',
  description: 'string',
  nullable: 'bool',
  enum: 'strings',
  maxItems: 'int',
  minItems: 'int',
  properties: { mapOf: SCHEMA },
  required: 'strings',
  minProperties: 'int',
  maxProperties: 'int',
  minLength: 'int',
  maxLength: 'int',
  pattern: 'string',
  example: 'value',
  anyOf: { message: SCHEMA, repeated: true },
  propertyOrdering: 'strings',
  default: 'value',
  items: { message: SCHEMA },
  minimum: 'float',
  maximum: 'float',
} satisfies Record<string, FieldKind>);

const BLOB: MessageDefinition = {
  protoName: `${PACKAGE}.Blob`,
  fields: { mimeType: 'string', data: 'string' },
};
const FILE_DATA: MessageDefinition = {
  protoName: `${PACKAGE}.FileData`,
  fields: { mimeType: 'string', fileUri: 'string' },
};
const FUNCTION_CALL: MessageDefinition = {
  protoName: `${PACKAGE}.FunctionCall`,
  fields: { id: 'string', name: 'string', args: 'value' },
};
const FUNCTION_RESPONSE: MessageDefinition = {
  protoName: `${PACKAGE}.FunctionResponse`,
  fields: {
    id: 'string',
    name: 'string',
    response: 'value',
    parts: 'value',
    willContinue: 'bool',
    scheduling: 'value',
  },
};

export const PART: MessageDefinition = {
  protoName: `${PACKAGE}.Part`,
  fields: {
    text: 'string',
    inlineData: { message: BLOB },
    fileData: { message: FILE_DATA },
    functionCall: { message: FUNCTION_CALL },
    functionResponse: { message: FUNCTION_RESPONSE },
    executableCode: 'value',
    codeExecutionResult: 'value',
    thought: 'bool',
    thoughtSignature: 'string',
    videoMetadata: 'value',
    partMetadata: 'value',
    mediaResolution: 'value',
  },
};

export const CONTENT: MessageDefinition = {
  protoName: `${PACKAGE}.Content`,
  fields: { role: 'string', parts: { message: PART, repeated: true } },
};

const FUNCTION_DECLARATION: MessageDefinition = {
  protoName: `${PACKAGE}.FunctionDeclaration`,
  fields: {
    name: 'string',
    description: 'string',
    behavior: 'string',
    parameters: { message: SCHEMA },
    parametersJsonSchema: 'value',
    response: { message: SCHEMA },
    responseJsonSchema: 'value',
  },
};

const TOOL: MessageDefinition = {
  protoName: `${PACKAGE}.Tool`,
  fields: {
    functionDeclarations: { message: FUNCTION_DECLARATION, repeated: true },
    googleSearch: 'value',
    googleSearchRetrieval: 'value',
    codeExecution: 'value',
    urlContext: 'value',
    computerUse: 'value',
    fileSearch: 'value',
    googleMaps: 'value',
    mcpServers: 'value',
  },
};

const TOOL_CONFIG: MessageDefinition = {
  protoName: `${PACKAGE}.ToolConfig`,
  fields: {
    functionCallingConfig: {
      message: {
        protoName: `${PACKAGE}.FunctionCallingConfig`,
        fields: {
          mode: {
            enumOf: `${PACKAGE}.FunctionCallingConfig.Mode`,
            values: ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'],
          },
          allowedFunctionNames: 'strings',
        },
      },
    },
    retrievalConfig: 'value',
  },
};

const THINKING_CONFIG: MessageDefinition = {
  protoName: `${PACKAGE}.ThinkingConfig`,
  fields: { includeThoughts: 'bool', thinkingBudget: 'int', thinkingLevel: 'string' },
};

const GENERATION_CONFIG: MessageDefinition = {
  protoName: `${PACKAGE}.GenerationConfig`,
  fields: {
    stopSequences: 'strings',
    responseMimeType: 'string',
    responseSchema: { message: SCHEMA },
    responseJsonSchema: 'value',
    responseModalities: 'value',
    candidateCount: 'int',
    maxOutputTokens: 'int',
    temperature: 'float',
    topP: 'float',
    topK: 'int',
    seed: 'int',
    presencePenalty: 'float',
    frequencyPenalty: 'float',
    responseLogprobs: 'bool',
    logprobs: 'int',
    enableEnhancedCivicAnswers: 'bool',
    speechConfig: 'value',
    thinkingConfig: { message: THINKING_CONFIG },
    imageConfig: 'value',
    mediaResolution: 'value',
    audioTranscriptionConfig: 'value',
  },
};

export const GENERATE_CONTENT_REQUEST: MessageDefinition = {
  protoName: `${PACKAGE}.GenerateContentRequest`,
  fields: {
    model: 'string',
    contents: { message: CONTENT, repeated: true },
    tools: { message: TOOL, repeated: true },
    toolConfig: { message: TOOL_CONFIG },
    safetySettings: 'value',
    systemInstruction: { message: CONTENT },
    generationConfig: { message: GENERATION_CONFIG },
    cachedContent: 'string',
    labels: 'value',
    serviceTier: 'value',
    store: 'value',
    continuationToken: 'value',
  },
};

export const COUNT_TOKENS_REQUEST: MessageDefinition = {
  protoName: `${PACKAGE}.CountTokensRequest`,
  fields: {
    contents: { message: CONTENT, repeated: true },
    generateContentRequest: { message: GENERATE_CONTENT_REQUEST },
  },
};
