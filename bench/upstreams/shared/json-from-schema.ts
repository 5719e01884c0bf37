/**
 * @module Builds a plausible value from a schema, for simulated tool-call arguments and structured
 * output. Accepts JSON Schema (Anthropic `input_schema`, Gemini `parametersJsonSchema`) and Gemini's
 * OpenAPI subset with upper-case types, so one generator serves both simulators.
 */
import { isObject, type JsonObject } from './json-object.js';
import { pick, type RandomSource, randomInt } from './seeded-random.js';

/** `requiredOnly`: tool inputs fill the required properties, as models usually do; JSON answers fill all. */
export interface SampleOptions {
  readonly requiredOnly: boolean;
}

const MAX_DEPTH = 5;
const NOUNS = ['amber', 'harbor', 'cedar', 'signal', 'north', 'river', 'engine', 'maple'];

export function sampleFromSchema(schema: unknown, random: RandomSource, options: SampleOptions): unknown {
  return sample(schema, { root: schema, random, options, depth: 0, name: '' });
}

interface Context {
  readonly root: unknown;
  readonly random: RandomSource;
  readonly options: SampleOptions;
  readonly depth: number;
  readonly name: string;
}

function sample(schema: unknown, context: Context): unknown {
  if (!isObject(schema)) return words(context);
  if ('const' in schema) return schema.const;
  const enumValues = schema.enum;
  if (Array.isArray(enumValues) && enumValues.length > 0) return pick(context.random, enumValues);
  const reference = schema.$ref;
  if (typeof reference === 'string') {
    if (context.depth >= MAX_DEPTH) return null;
    return sample(resolveReference(context.root, reference), { ...context, depth: context.depth + 1 });
  }
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const options = schema[key];
    if (Array.isArray(options)) {
      const chosen = options.find((option) => typeOf(option) !== 'null') ?? options[0];
      if (chosen !== undefined) return sample(chosen, context);
    }
  }
  switch (typeOf(schema)) {
    case 'object':
      return sampleObject(schema, context);
    case 'array':
      return sampleArray(schema, context);
    case 'integer':
      return sampleNumber(schema, context, true);
    case 'number':
      return sampleNumber(schema, context, false);
    case 'boolean':
      return context.random() < 0.5;
    case 'null':
      return null;
    default:
      return sampleString(schema, context);
  }
}

function sampleObject(schema: JsonObject, context: Context): Record<string, unknown> {
  const properties = isObject(schema.properties) ? schema.properties : {};
  if (context.depth >= MAX_DEPTH) return {};
  const required = Array.isArray(schema.required)
    ? schema.required.filter((key): key is string => typeof key === 'string')
    : [];
  const keys = context.options.requiredOnly && required.length > 0 ? required : Object.keys(properties);
  const value: Record<string, unknown> = {};
  for (const key of keys) {
    value[key] = sample(properties[key], { ...context, depth: context.depth + 1, name: key });
  }
  return value;
}

function sampleArray(schema: JsonObject, context: Context): unknown[] {
  if (context.depth >= MAX_DEPTH) return [];
  const minItems = Number(schema.minItems ?? 1);
  const maxItems = Number(schema.maxItems ?? 3);
  const count = Math.max(0, Math.min(Math.max(minItems, 1), maxItems, 3));
  const itemContext = { ...context, depth: context.depth + 1 };
  return Array.from({ length: count }, () => sample(schema.items, itemContext));
}

function sampleNumber(schema: JsonObject, context: Context, integer: boolean): number {
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : 1;
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : Math.max(minimum + 99, minimum);
  const value = randomInt(context.random, Math.ceil(minimum), Math.floor(maximum));
  return integer || value + 0.5 > maximum ? value : value + 0.5;
}

function sampleString(schema: JsonObject, context: Context): string {
  const byFormat: Record<string, string> = {
    'date-time': '2025-06-01T12:00:00Z',
    date: '2025-06-01',
    time: '12:00:00',
    email: 'user@example.com',
    uri: 'https://example.com/',
    url: 'https://example.com/',
    uuid: '4f1c2a9e-5b7d-4c3e-9a8b-2d6f0e1c7a35',
  };
  const format = typeof schema.format === 'string' ? byFormat[schema.format] : undefined;
  let text = format ?? (/location|city|place/i.test(context.name) ? 'San Francisco, CA' : words(context));
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  while (text.length < minLength) text += ` ${words(context)}`;
  return text.slice(0, maxLength);
}

function words(context: Context): string {
  return `${pick(context.random, NOUNS)} ${pick(context.random, NOUNS)}`;
}

/** JSON Schema `type` may be a list; Gemini's subset spells types in upper case. */
function typeOf(schema: unknown): string | undefined {
  if (!isObject(schema)) return undefined;
  const type = Array.isArray(schema.type) ? schema.type.find((entry) => entry !== 'null') : schema.type;
  if (typeof type === 'string') return type.toLowerCase();
  if (isObject(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

function resolveReference(root: unknown, reference: string): unknown {
  if (!reference.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const segment of reference.slice(2).split('/')) {
    node = isObject(node) ? node[segment.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return node;
}
