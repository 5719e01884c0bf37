/**
 * @module providers/gemini/json-schema
 * Converts the JSON Schema that OpenAI clients send (tool `parameters`, `response_format.json_schema`)
 * into the OpenAPI 3.0 subset that Gemini's `Schema` accepts. Gemini refuses a whole request when one
 * schema carries a keyword it does not know (`additionalProperties`, `$ref`, `const`, `$schema`, …) or
 * breaks one of its own rules (an OBJECT with empty `properties`, an ARRAY without `items`, a `required`
 * entry that is not a property), so a single unusual tool from an MCP server would otherwise fail every
 * request that lists it. The output is built from an allow-list: whatever is not translated is dropped,
 * and what carries meaning for the model but has no Gemini keyword (a title, a non-string enum, an
 * unsupported format) is folded into `description` instead of being lost.
 */
import { type Schema, Type } from '@google/genai';

type JsonObject = Record<string, unknown>;

const typeByName: Readonly<Record<string, Type>> = {
  string: Type.STRING,
  number: Type.NUMBER,
  integer: Type.INTEGER,
  boolean: Type.BOOLEAN,
  array: Type.ARRAY,
  object: Type.OBJECT,
};

/**
 * The formats the Gemini Developer API accepts per type (Vertex accepts more). Any other `format` is a
 * 400, so it is moved into the description.
 */
const allowedFormats: Readonly<Partial<Record<Type, readonly string[]>>> = {
  [Type.STRING]: ['enum', 'date-time'],
  [Type.NUMBER]: ['float', 'double'],
  [Type.INTEGER]: ['int32', 'int64'],
};

interface Context {
  root: JsonObject;
  /** `$ref`s being expanded on the current path: a ref met again is recursive and cannot be inlined. */
  expanding: readonly string[];
}

/**
 * Converts one JSON Schema into a Gemini `Schema`. Pure; never throws on odd input (an unusable
 * schema becomes an unconstrained string rather than a failed request).
 */
export function toGeminiSchema(schema: JsonObject): Schema {
  return convert(schema, { root: schema, expanding: [] });
}

/**
 * Converts a tool's `parameters`. Returns undefined for a tool without arguments: Gemini rejects
 * `{type: OBJECT, properties: {}}` ("properties: should be non-empty for OBJECT type"), and a function
 * declaration without `parameters` is how it spells "no arguments".
 */
export function toGeminiParameters(schema: JsonObject): Schema | undefined {
  return objectRoot(toGeminiSchema(schema));
}

/**
 * Converts a `response_format` schema. Returns undefined when it does not constrain anything Gemini
 * can express (an object with no properties), in which case JSON mode alone is the closest match.
 */
export function toGeminiResponseSchema(schema: JsonObject): Schema | undefined {
  const converted = toGeminiSchema(schema);
  if (converted.type === Type.OBJECT) return objectRoot(converted);
  return converted;
}

function objectRoot(converted: Schema): Schema | undefined {
  if (converted.type !== Type.OBJECT || !converted.properties) return undefined;
  const { nullable: _nullable, ...rest } = converted;
  return rest;
}

function convert(node: unknown, context: Context): Schema {
  // A boolean schema (`true`) or garbage allows anything; Gemini has no "any", a string is the least wrong.
  if (!isObject(node)) return { type: Type.STRING };
  if (typeof node.$ref === 'string') return convertRef(node, node.$ref, context);
  const source = Array.isArray(node.allOf) ? mergeAllOf(node, context) : node;

  let nullable = false;
  let types = typeNames(source.type);
  if (types.includes('null')) {
    nullable = true;
    types = types.filter((name) => name !== 'null');
  }

  const variants = [...asArray(source.anyOf), ...asArray(source.oneOf)];
  if (variants.length > 0) {
    // `anyOf: [X, {type: null}]` is how most generators spell "nullable X"; Gemini has `nullable`.
    const nonNull = variants.filter((variant) => !isNullSchema(variant, context));
    if (nonNull.length < variants.length) nullable = true;
    const { anyOf: _anyOf, oneOf: _oneOf, ...siblings } = source;
    if (nonNull.length === 1) {
      // The outer keywords (a description, say) describe this use of the variant and win over its own.
      const single = convert({ ...asObject(nonNull[0]), ...siblings }, context);
      return nullable ? { ...single, nullable: true } : single;
    }
    if (nonNull.length > 1) {
      // Gemini (and the SDK, which throws) refuse `type` and `anyOf` side by side, so `type` goes.
      return finish({ anyOf: nonNull.map((variant) => convert(variant, context)) }, siblings, nullable);
    }
    return finish({ type: Type.STRING }, siblings, true);
  }

  if (types.length > 1) {
    const { description: _description, title: _title, ...rest } = source;
    return finish(
      { anyOf: types.map((name) => convert({ ...rest, type: name }, context)) },
      source,
      nullable,
    );
  }

  const result = convertTyped(source, types[0] ?? inferType(source), context);
  if (result.enumNullable) nullable = true;
  return finish(result.schema, source, nullable);
}

/** Adds what every schema may carry: description (with a title folded in) and nullable. */
function finish(schema: Schema, source: JsonObject, nullable: boolean): Schema {
  const description = joinNotes(
    typeof source.description === 'string' ? source.description : undefined,
    typeof source.title === 'string' && typeof source.description !== 'string' ? source.title : undefined,
    schema.description,
  );
  const result: Schema = { ...schema };
  if (description) result.description = description;
  else delete result.description;
  if (nullable) result.nullable = true;
  return result;
}

function convertTyped(
  source: JsonObject,
  typeName: string,
  context: Context,
): { schema: Schema; enumNullable: boolean } {
  const type = typeByName[typeName] ?? Type.STRING;
  const schema: Schema = { type };
  const notes: string[] = [];
  let enumNullable = false;

  const values = source.const !== undefined ? [source.const] : asArray(source.enum);
  if (values.length > 0) {
    const nonNull = values.filter((value) => value !== null);
    enumNullable = nonNull.length < values.length;
    // Gemini's `enum` is a list of strings; other values survive as a sentence for the model to follow.
    if (type === Type.STRING && nonNull.every((value) => typeof value === 'string')) {
      schema.enum = nonNull as string[];
    } else if (nonNull.length > 0) {
      notes.push(`Allowed values: ${nonNull.map((value) => JSON.stringify(value)).join(', ')}.`);
    }
  }

  if (typeof source.format === 'string') {
    if (allowedFormats[type]?.includes(source.format)) schema.format = source.format;
    else notes.push(`Format: ${source.format}.`);
  }

  switch (type) {
    case Type.STRING:
      if (isCount(source.minLength)) schema.minLength = String(source.minLength);
      if (isCount(source.maxLength)) schema.maxLength = String(source.maxLength);
      if (typeof source.pattern === 'string') schema.pattern = source.pattern;
      break;
    case Type.NUMBER:
    case Type.INTEGER: {
      // Exclusive bounds have no Gemini keyword; for integers they are the next whole number.
      const step = type === Type.INTEGER ? 1 : 0;
      if (typeof source.minimum === 'number') schema.minimum = source.minimum;
      else if (typeof source.exclusiveMinimum === 'number') schema.minimum = source.exclusiveMinimum + step;
      if (typeof source.maximum === 'number') schema.maximum = source.maximum;
      else if (typeof source.exclusiveMaximum === 'number') schema.maximum = source.exclusiveMaximum - step;
      break;
    }
    case Type.ARRAY: {
      // Gemini requires `items` on every ARRAY ("items: missing field"); a tuple becomes its first shape.
      const items = Array.isArray(source.items)
        ? source.items[0]
        : isObject(source.items)
          ? source.items
          : asArray(source.prefixItems)[0];
      schema.items = items === undefined ? { type: Type.STRING } : convert(items, context);
      if (isCount(source.minItems)) schema.minItems = String(source.minItems);
      if (isCount(source.maxItems)) schema.maxItems = String(source.maxItems);
      break;
    }
    case Type.OBJECT: {
      const properties = Object.entries(asObject(source.properties));
      // An object without declared properties stays a bare OBJECT: an empty `properties` map is a 400.
      if (properties.length > 0) {
        schema.properties = Object.fromEntries(
          properties.map(([name, property]) => [name, convert(property, context)]),
        );
        // Every required property is kept; only names Gemini would reject ("property is not defined") go.
        const required = asArray(source.required).filter(
          (name): name is string =>
            typeof name === 'string' && Object.hasOwn(asObject(source.properties), name),
        );
        if (required.length > 0) schema.required = [...new Set(required)];
      }
      if (isCount(source.minProperties)) schema.minProperties = String(source.minProperties);
      if (isCount(source.maxProperties)) schema.maxProperties = String(source.maxProperties);
      break;
    }
  }

  const description = joinNotes(...notes);
  if (description) schema.description = description;
  return { schema, enumNullable };
}

/** What a schema without `type` most likely means, from the keywords it does carry. */
function inferType(source: JsonObject): string {
  if (isObject(source.properties) || source.required !== undefined) return 'object';
  if (source.items !== undefined || source.prefixItems !== undefined) return 'array';
  const values = source.const !== undefined ? [source.const] : asArray(source.enum);
  const sample = values.find((value) => value !== null);
  if (typeof sample === 'number') {
    return values.every((value) => value === null || Number.isInteger(value)) ? 'integer' : 'number';
  }
  if (typeof sample === 'boolean') return 'boolean';
  if (typeof source.minimum === 'number' || typeof source.maximum === 'number') return 'number';
  return 'string';
}

function convertRef(node: JsonObject, ref: string, context: Context): Schema {
  const { $ref: _ref, ...siblings } = node;
  if (context.expanding.includes(ref)) {
    // A recursive type (a tree node holding its children) cannot be inlined; the model gets a bare object.
    return finish({ type: Type.OBJECT }, siblings, false);
  }
  const target = resolvePointer(context.root, ref);
  if (target === undefined) return finish({ type: Type.STRING }, siblings, false);
  // Keywords next to a `$ref` (usually a description) describe this use of it and win over the target's.
  return convert(
    { ...asObject(target), ...siblings },
    { ...context, expanding: [...context.expanding, ref] },
  );
}

/** Resolves a local JSON Pointer (`#/$defs/Address`, `#/definitions/Address`, `#`). Remote refs are not fetched. */
function resolvePointer(root: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const path = ref.slice(1);
  if (path === '' || path === '/') return root;
  let current: unknown = root;
  for (const raw of path.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObject(current) && !Array.isArray(current)) return undefined;
    current = (current as JsonObject)[key];
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * `allOf` has no Gemini keyword; the common use (extending a base object) becomes one object with the
 * union of properties and required names. For other keywords the first member that sets one wins.
 */
function mergeAllOf(node: JsonObject, context: Context): JsonObject {
  const { allOf, ...own } = node;
  const members = [own, ...asArray(allOf).map((member) => dereference(member, context))];
  const merged: JsonObject = {};
  const properties: JsonObject = {};
  const required: unknown[] = [];
  for (const member of members) {
    const resolved = Array.isArray(member.allOf) ? mergeAllOf(member, context) : member;
    for (const [key, value] of Object.entries(resolved)) {
      if (key === 'properties') Object.assign(properties, asObject(value));
      else if (key === 'required') required.push(...asArray(value));
      else if (merged[key] === undefined) merged[key] = value;
    }
  }
  if (Object.keys(properties).length > 0) merged.properties = properties;
  if (required.length > 0) merged.required = required;
  return merged;
}

function dereference(member: unknown, context: Context): JsonObject {
  const object = asObject(member);
  if (typeof object.$ref !== 'string' || context.expanding.includes(object.$ref)) return object;
  const { $ref, ...siblings } = object;
  return { ...asObject(resolvePointer(context.root, $ref)), ...siblings };
}

function isNullSchema(variant: unknown, context: Context): boolean {
  const object = dereference(variant, context);
  const types = typeNames(object.type);
  return (types.length === 1 && types[0] === 'null') || object.const === null;
}

function typeNames(type: unknown): string[] {
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((name): name is string => typeof name === 'string');
  return [];
}

function joinNotes(...notes: Array<string | undefined>): string | undefined {
  const present = notes.filter((note): note is string => typeof note === 'string' && note.trim() !== '');
  return present.length > 0 ? present.join(' ') : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
