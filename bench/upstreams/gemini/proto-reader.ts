/**
 * @module Reads a JSON body the way Google's proto-JSON front end does: fields are looked up in the
 * message definition (lowerCamel or snake_case), unknown names and wrong value kinds become "Invalid JSON
 * payload received" violations with the service's field paths (`tools[0].function_declarations[0]
 * .parameters.properties[2].value`). This is what rejects `additionalProperties`, `$schema`, `const` or a
 * list-valued `type` in a function's `parameters`, exactly where the real API does.
 */
import { isObject } from '../shared/json-object.js';

/** How one field is read. `value` is free-form JSON (google.protobuf.Value / Struct). */
export type FieldKind =
  | 'string'
  | 'int'
  | 'float'
  | 'bool'
  | 'value'
  | 'strings'
  | { readonly enumOf: string; readonly values: readonly string[] }
  | { readonly message: MessageDefinition; readonly repeated?: boolean }
  | { readonly mapOf: MessageDefinition };

export interface MessageDefinition {
  /** Full proto name shown in "Invalid value" messages, e.g. `google.ai.generativelanguage.v1beta.Content`. */
  readonly protoName: string;
  /** Fields by lowerCamel name; definitions may be filled in after creation for recursive messages. */
  readonly fields: Record<string, FieldKind>;
}

/** One `google.rpc.BadRequest` field violation. */
export interface FieldViolation {
  readonly field?: string;
  readonly description: string;
}

export class ProtoReader {
  readonly violations: FieldViolation[] = [];

  /** Reads a message; returns its fields under their lowerCamel names, or undefined if not an object. */
  message(value: unknown, path: string, definition: MessageDefinition): Record<string, unknown> | undefined {
    if (!isObject(value)) {
      this.invalidValue(path, `type.googleapis.com/${definition.protoName}`, value);
      return undefined;
    }
    const result: Record<string, unknown> = {};
    for (const [key, fieldValue] of Object.entries(value)) {
      const name = toCamel(key);
      const kind = definition.fields[name];
      if (kind === undefined) {
        this.unknownName(key, path, 'Cannot find field.');
        continue;
      }
      const read = this.field(fieldValue, join(path, toSnake(name)), kind, key, path);
      if (read !== undefined) result[name] = read;
    }
    return result;
  }

  private field(value: unknown, path: string, kind: FieldKind, key: string, parent: string): unknown {
    if (value === null) return undefined;
    const repeated = kind === 'strings' || (typeof kind === 'object' && 'message' in kind && kind.repeated);
    if (Array.isArray(value) && !repeated && kind !== 'value') {
      this.unknownName(key, parent, 'Proto field is not repeating, cannot start list.');
      return undefined;
    }
    if (kind === 'value') return value;
    if (kind === 'strings') {
      // Like the real parser, a single value is accepted where a list is expected.
      return list(value).map((entry, index) => this.scalar(entry, `${path}[${index}]`, 'string'));
    }
    if (typeof kind === 'string') return this.scalar(value, path, kind);
    if ('enumOf' in kind) {
      const text = typeof value === 'string' ? value.toUpperCase() : undefined;
      if (text === undefined || !kind.values.includes(text)) {
        this.invalidValue(path, `type.googleapis.com/${kind.enumOf}`, value);
        return undefined;
      }
      return text;
    }
    if ('mapOf' in kind) {
      if (!isObject(value))
        return this.invalidValue(path, `type.googleapis.com/${kind.mapOf.protoName}`, value);
      const entries = Object.entries(value).map(([entryKey, entry], index) => [
        entryKey,
        this.message(entry, `${path}[${index}].value`, kind.mapOf),
      ]);
      return Object.fromEntries(entries);
    }
    if (kind.repeated)
      return list(value).map((entry, index) => this.message(entry, `${path}[${index}]`, kind.message));
    return this.message(value, path, kind.message);
  }

  private scalar(value: unknown, path: string, kind: 'string' | 'int' | 'float' | 'bool'): unknown {
    const numeric = typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));
    const valid =
      kind === 'string'
        ? typeof value === 'string'
        : kind === 'bool'
          ? typeof value === 'boolean'
          : numeric && (kind === 'float' || Number.isInteger(Number(value)));
    if (!valid) {
      const type = { string: 'TYPE_STRING', int: 'TYPE_INT32', float: 'TYPE_FLOAT', bool: 'TYPE_BOOL' }[kind];
      return this.invalidValue(path, type, value);
    }
    return kind === 'int' || kind === 'float' ? Number(value) : value;
  }

  private unknownName(key: string, path: string, reason: string): void {
    const where = path === '' ? '' : ` at '${path}'`;
    const description = `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}${where}: ${reason}`;
    this.violations.push(path === '' ? { description } : { field: path, description });
  }

  private invalidValue(path: string, type: string, value: unknown): undefined {
    this.violations.push({
      field: path,
      description: `Invalid value at '${path}' (${type}), ${JSON.stringify(value)}`,
    });
    return undefined;
  }
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function toCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

export function toSnake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
