/**
 * @module test/providers/gemini-json-schema
 * The JSON Schema → Gemini Schema conversion on the shapes real clients send (zod-to-json-schema,
 * pydantic, MCP servers): every keyword Gemini would reject must go, and nothing that constrains the
 * arguments may be lost — above all, no `required` entry.
 */
import { describe, expect, it } from 'vitest';
import {
  toGeminiParameters,
  toGeminiResponseSchema,
  toGeminiSchema,
} from '../../src/providers/gemini/json-schema.js';

/** Keywords of the Gemini `Schema` object; anything else in the output would be a 400. */
const geminiKeywords = new Set([
  'type',
  'format',
  'description',
  'nullable',
  'enum',
  'items',
  'minItems',
  'maxItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'anyOf',
]);

function unknownKeywords(schema: unknown, path = '$'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(schema)) {
    if (!geminiKeywords.has(key)) found.push(`${path}.${key}`);
    if (key === 'properties') {
      for (const [name, property] of Object.entries(value as object)) {
        found.push(...unknownKeywords(property, `${path}.properties.${name}`));
      }
    } else if (key === 'items') found.push(...unknownKeywords(value, `${path}.items`));
    else if (key === 'anyOf') {
      (value as unknown[]).forEach((variant, index) => {
        found.push(...unknownKeywords(variant, `${path}.anyOf.${index}`));
      });
    }
  }
  return found;
}

describe('toGeminiSchema', () => {
  it('turns type arrays and anyOf-with-null into nullable', () => {
    expect(toGeminiSchema({ type: ['string', 'null'], description: 'A name' })).toEqual({
      type: 'STRING',
      description: 'A name',
      nullable: true,
    });
    expect(
      toGeminiSchema({
        anyOf: [{ type: 'array', items: { type: 'integer' } }, { type: 'null' }],
        description: 'Ids',
      }),
    ).toEqual({ type: 'ARRAY', items: { type: 'INTEGER' }, description: 'Ids', nullable: true });
  });

  it('keeps a union of several types as anyOf, never next to type', () => {
    const converted = toGeminiSchema({ type: ['string', 'integer', 'null'] });
    expect(converted).toEqual({ anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }], nullable: true });
    expect(toGeminiSchema({ oneOf: [{ type: 'string' }, { type: 'number', minimum: 0 }] })).toEqual({
      anyOf: [{ type: 'STRING' }, { type: 'NUMBER', minimum: 0 }],
    });
  });

  it('drops what Gemini rejects and keeps required entries that exist', () => {
    const converted = toGeminiSchema({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      title: 'Search',
      additionalProperties: false,
      properties: {
        query: { type: 'string', minLength: 1, default: 'x', examples: ['cats'] },
        limit: { type: 'integer', exclusiveMinimum: 0, maximum: 50 },
      },
      required: ['query', 'limit', 'ghost'],
    });
    expect(converted).toEqual({
      type: 'OBJECT',
      description: 'Search',
      properties: {
        query: { type: 'STRING', minLength: '1' },
        limit: { type: 'INTEGER', minimum: 1, maximum: 50 },
      },
      required: ['query', 'limit'],
    });
  });

  it('inlines $ref from $defs and definitions, with the description at the use site winning', () => {
    const converted = toGeminiSchema({
      type: 'object',
      $defs: { Address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      definitions: { Unit: { type: 'string', enum: ['metric', 'imperial'] } },
      properties: {
        home: { $ref: '#/$defs/Address', description: 'Where the user lives' },
        unit: { $ref: '#/definitions/Unit' },
      },
      required: ['home'],
    });
    expect(converted).toEqual({
      type: 'OBJECT',
      properties: {
        home: {
          type: 'OBJECT',
          description: 'Where the user lives',
          properties: { city: { type: 'STRING' } },
          required: ['city'],
        },
        unit: { type: 'STRING', enum: ['metric', 'imperial'] },
      },
      required: ['home'],
    });
  });

  it('stops a recursive $ref at a bare object instead of looping', () => {
    const converted = toGeminiSchema({
      $ref: '#/$defs/Node',
      $defs: {
        Node: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            children: { type: 'array', items: { $ref: '#/$defs/Node' } },
          },
        },
      },
    });
    expect(converted).toEqual({
      type: 'OBJECT',
      properties: { name: { type: 'STRING' }, children: { type: 'ARRAY', items: { type: 'OBJECT' } } },
    });
  });

  it('converts nested arrays and gives an ARRAY without items a string item type', () => {
    expect(
      toGeminiSchema({
        type: 'array',
        minItems: 1,
        maxItems: 3,
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { x: { type: 'number' } },
            additionalProperties: { type: 'number' },
          },
        },
      }),
    ).toEqual({
      type: 'ARRAY',
      minItems: '1',
      maxItems: '3',
      items: { type: 'ARRAY', items: { type: 'OBJECT', properties: { x: { type: 'NUMBER' } } } },
    });
    expect(toGeminiSchema({ type: 'array' })).toEqual({ type: 'ARRAY', items: { type: 'STRING' } });
  });

  it('turns const into enum and keeps non-string values as a sentence', () => {
    expect(toGeminiSchema({ const: 'fixed' })).toEqual({ type: 'STRING', enum: ['fixed'] });
    expect(toGeminiSchema({ type: 'string', enum: ['a', 'b', null] })).toEqual({
      type: 'STRING',
      enum: ['a', 'b'],
      nullable: true,
    });
    expect(toGeminiSchema({ type: 'integer', enum: [1, 2, 3], description: 'Level' })).toEqual({
      type: 'INTEGER',
      description: 'Level Allowed values: 1, 2, 3.',
    });
  });

  it('keeps only formats the Gemini API accepts and moves the rest into the description', () => {
    expect(toGeminiSchema({ type: 'string', format: 'date-time' })).toEqual({
      type: 'STRING',
      format: 'date-time',
    });
    expect(toGeminiSchema({ type: 'string', format: 'uri', description: 'Link' })).toEqual({
      type: 'STRING',
      description: 'Link Format: uri.',
    });
    expect(toGeminiSchema({ type: 'number', format: 'double' })).toEqual({
      type: 'NUMBER',
      format: 'double',
    });
  });

  it('merges allOf into one object', () => {
    expect(
      toGeminiSchema({
        $defs: { Base: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
        allOf: [{ $ref: '#/$defs/Base' }, { properties: { size: { type: 'integer' } }, required: ['size'] }],
      }),
    ).toEqual({
      type: 'OBJECT',
      properties: { id: { type: 'STRING' }, size: { type: 'INTEGER' } },
      required: ['id', 'size'],
    });
  });

  it('infers a missing type from the keywords present', () => {
    expect(toGeminiSchema({ properties: { a: { enum: [1, 2] } } })).toEqual({
      type: 'OBJECT',
      properties: { a: { type: 'INTEGER', description: 'Allowed values: 1, 2.' } },
    });
    expect(toGeminiSchema({ description: 'anything' })).toEqual({ type: 'STRING', description: 'anything' });
  });

  it('leaves no unknown keyword in a schema as an MCP server sends it', () => {
    const converted = toGeminiSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'urn:edit',
      type: 'object',
      properties: {
        path: { type: 'string', $comment: 'absolute', readOnly: true },
        edits: {
          type: 'array',
          prefixItems: [
            { type: 'object', properties: { old: { type: 'string' } }, unevaluatedProperties: false },
          ],
          items: false,
        },
        options: {
          type: 'object',
          patternProperties: { '^x-': { type: 'string' } },
          propertyNames: { pattern: '^[a-z]+$' },
          if: { properties: { a: { const: 1 } } },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, never awaited.
          then: { required: ['b'] },
          not: { type: 'null' },
          dependentRequired: { a: ['b'] },
        },
      },
      required: ['path', 'edits'],
    });
    expect(unknownKeywords(converted)).toEqual([]);
    expect(converted.required).toEqual(['path', 'edits']);
    expect(converted.properties?.edits).toEqual({
      type: 'ARRAY',
      items: { type: 'OBJECT', properties: { old: { type: 'STRING' } } },
    });
    expect(converted.properties?.options).toEqual({ type: 'OBJECT' });
  });
});

describe('toGeminiParameters', () => {
  it('omits parameters for a tool without arguments (Gemini rejects empty properties)', () => {
    expect(toGeminiParameters({ type: 'object', properties: {} })).toBeUndefined();
    expect(toGeminiParameters({ type: 'object' })).toBeUndefined();
  });

  it('returns the converted object otherwise', () => {
    expect(
      toGeminiParameters({ type: 'object', properties: { a: { type: 'boolean' } }, required: ['a'] }),
    ).toEqual({
      type: 'OBJECT',
      properties: { a: { type: 'BOOLEAN' } },
      required: ['a'],
    });
  });
});

describe('toGeminiResponseSchema', () => {
  it('keeps non-object roots and drops an unconstrained object', () => {
    expect(toGeminiResponseSchema({ type: 'array', items: { type: 'string' } })).toEqual({
      type: 'ARRAY',
      items: { type: 'STRING' },
    });
    expect(toGeminiResponseSchema({ type: 'object', additionalProperties: true })).toBeUndefined();
  });
});
