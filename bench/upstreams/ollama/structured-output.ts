/**
 * @module structured-output
 * Plausible values for a JSON schema, for `format` (structured outputs) and for tool-call arguments:
 * every required property is filled by its type, an enum takes one of its values, and string values
 * are guessed from the property name so that tool calls look like what a model would send.
 */
import type { Random } from './random.js';
import type { JsonSchema } from './wire-types.js';

const stringGuesses: ReadonlyArray<[RegExp, readonly string[]]> = [
  [/location|city|place/i, ['Paris, FR', 'Berlin, DE', 'Tokyo, JP']],
  [/path|file/i, ['src/index.ts', 'README.md', 'package.json']],
  [/url|link|uri/i, ['https://example.com', 'https://example.org/docs']],
  [/query|search|question/i, ['latest release notes', 'how to parse ndjson']],
  [/command|cmd/i, ['npm test', 'ls -la']],
  [/lang/i, ['typescript', 'python']],
  [/unit|format/i, ['celsius', 'json']],
  [/date|time/i, ['2025-06-01', '2025-06-01T12:00:00Z']],
  [/name|title/i, ['example', 'switchyard']],
];

function guessString(propertyName: string, random: Random): string {
  for (const [pattern, values] of stringGuesses) {
    if (pattern.test(propertyName)) return random.pick(values);
  }
  return random.pick(['example', 'value', 'hello world', 'ok']);
}

function primaryType(schema: JsonSchema): string {
  const type = Array.isArray(schema.type) ? schema.type.find((entry) => entry !== 'null') : schema.type;
  if (type) return type;
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return 'string';
}

/** A value valid for `schema`; objects get their required properties (all properties when none are required). */
export function valueForSchema(schema: JsonSchema, random: Random, propertyName = '', depth = 0): unknown {
  if (schema.enum && schema.enum.length > 0) return random.pick(schema.enum);
  switch (primaryType(schema)) {
    case 'integer':
      return random.integer(1, 100);
    case 'number':
      return Math.round(random.next() * 10_000) / 100;
    case 'boolean':
      return random.chance(0.5);
    case 'null':
      return null;
    case 'array':
      return depth > 4 ? [] : [valueForSchema(schema.items ?? {}, random, propertyName, depth + 1)];
    case 'object': {
      const properties = schema.properties ?? {};
      const names = schema.required && schema.required.length > 0 ? schema.required : Object.keys(properties);
      const value: Record<string, unknown> = {};
      if (depth > 4) return value;
      for (const name of names) value[name] = valueForSchema(properties[name] ?? {}, random, name, depth + 1);
      return value;
    }
    default:
      return guessString(propertyName, random);
  }
}

/** Content for `format`: "json" gives a small object, a schema gives a value valid for it. */
export function contentForFormat(format: 'json' | JsonSchema, random: Random): string {
  if (format === 'json') {
    return JSON.stringify({
      answer: guessString('', random),
      confidence: Math.round(random.next() * 100) / 100,
    });
  }
  return JSON.stringify(valueForSchema(format, random));
}
