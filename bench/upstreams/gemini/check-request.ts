/**
 * @module Semantic checks the Gemini service runs after parsing: non-empty contents and parts, valid
 * roles and function names, non-empty OBJECT properties, supported response MIME types, thinking budget,
 * and the order of function-call and function-response turns. Messages follow the service's wording.
 */
import { isObject, type JsonObject } from '../shared/json-object.js';
import { invalidArgument } from './errors.js';
import type { GeminiModelProfile } from './models.js';
import type { GeminiContent, GenerateContentRequest } from './request-types.js';

const DATA_FIELDS = [
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
] as const;
const FUNCTION_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/;
const MIME_TYPES = ['text/plain', 'application/json', 'application/xml', 'application/yaml', 'text/x.enum'];

export function checkRequest(request: GenerateContentRequest, profile: GeminiModelProfile): void {
  const problems: string[] = [];
  const report = (path: string, message: string): void => {
    problems.push(`* GenerateContentRequest.${path}: ${message}\n`);
  };
  const contents = request.contents ?? [];
  if (contents.length === 0) report('contents', 'contents is not specified');
  for (const [index, content] of contents.entries()) checkContent(content, `contents[${index}]`, report);
  if (request.systemInstruction) checkContent(request.systemInstruction, 'system_instruction', report);
  (request.tools ?? []).forEach((tool, toolIndex) => {
    (tool.functionDeclarations ?? []).forEach((declaration, index) => {
      const path = `tools[${toolIndex}].function_declarations[${index}]`;
      if (declaration.name === undefined || !FUNCTION_NAME.test(declaration.name)) {
        report(
          `${path}.name`,
          'Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), ' +
            'underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.',
        );
      }
      if (declaration.parameters) checkSchema(declaration.parameters, `${path}.parameters`, report);
    });
  });
  const config = request.generationConfig ?? {};
  if (config.responseMimeType !== undefined && !MIME_TYPES.includes(config.responseMimeType)) {
    report(
      'generation_config.response_mime_type',
      'allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`.',
    );
  }
  if (config.responseSchema) checkSchema(config.responseSchema, 'generation_config.response_schema', report);
  if (problems.length > 0) throw invalidArgument(problems.join(''));
  if (config.thinkingConfig?.thinkingBudget === 0 && !profile.canDisableThinking) {
    throw invalidArgument('Budget 0 is invalid. This model only works in thinking mode.');
  }
  checkFunctionTurns(contents);
}

function checkContent(
  content: GeminiContent,
  path: string,
  report: (path: string, message: string) => void,
): void {
  if (
    content.role !== undefined &&
    content.role !== '' &&
    content.role !== 'user' &&
    content.role !== 'model'
  ) {
    throw invalidArgument('Please use a valid role: user, model.');
  }
  const parts = content.parts ?? [];
  if (parts.length === 0) report(`${path}.parts`, 'contents.parts must not be empty.');
  parts.forEach((part, index) => {
    if (!DATA_FIELDS.some((field) => part[field] !== undefined)) {
      report(`${path}.parts[${index}].data`, "required oneof field 'data' must have one initialized field");
    }
  });
}

function checkSchema(
  schema: JsonObject,
  path: string,
  report: (path: string, message: string) => void,
): void {
  const properties = schema.properties;
  if (schema.type === 'OBJECT' && isObject(properties) && Object.keys(properties).length === 0) {
    report(`${path}.properties`, 'should be non-empty for OBJECT type');
  }
  if (isObject(properties)) {
    for (const [name, property] of Object.entries(properties)) {
      if (isObject(property)) checkSchema(property, `${path}.properties[${name}]`, report);
    }
  }
  if (isObject(schema.items)) checkSchema(schema.items, `${path}.items`, report);
}

/** A function-response turn must answer the function-call turn right before it, call for call. */
function checkFunctionTurns(contents: readonly GeminiContent[]): void {
  const calls = (content: GeminiContent | undefined) =>
    (content?.parts ?? []).filter((part) => part.functionCall !== undefined).length;
  const responses = (content: GeminiContent | undefined) =>
    (content?.parts ?? []).filter((part) => part.functionResponse !== undefined).length;
  contents.forEach((content, index) => {
    const previous = contents[index - 1];
    if (calls(content) > 0 && (previous === undefined || previous.role === 'model')) {
      throw invalidArgument(
        'Please ensure that function call turn comes immediately after a user turn or after a function response turn.',
      );
    }
    if (responses(content) === 0) return;
    if (calls(previous) === 0) {
      throw invalidArgument(
        'Please ensure that function response turn comes immediately after a function call turn.',
      );
    }
    if (calls(previous) !== responses(content)) {
      throw invalidArgument(
        'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.',
      );
    }
  });
}
