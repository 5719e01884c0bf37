/**
 * @module The one type guard both simulators use to walk untrusted JSON request bodies without `any`.
 */

/** A parsed JSON object whose members are not yet validated. */
export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
