/**
 * @module keep-alive
 * `keep_alive` as Ollama reads it: a Go duration string ("5m", "1h30m", "300ms") or a number of seconds;
 * negative keeps the model loaded forever, 0 unloads it when the request ends, absent means 5 minutes.
 */
import type { Checked } from './chat-request.js';

export const defaultKeepAliveMs = 5 * 60 * 1000;

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's `time.ParseDuration`, in milliseconds, with its error texts. */
export function parseGoDuration(text: string): Checked<number> {
  const invalid = { ok: false as const, status: 400, error: `time: invalid duration "${text}"` };
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return { ok: true, value: 0 };
  if (rest === '') return invalid;
  let totalMs = 0;
  const partPattern = /^(\d*\.?\d*)([^\d.]*)/;
  while (rest !== '') {
    const match = partPattern.exec(rest);
    const [whole = '', number = '', unit = ''] = match ?? [];
    if (number === '' || number === '.') return invalid;
    if (unit === '') return { ok: false, status: 400, error: `time: missing unit in duration "${text}"` };
    const scale = unitMs[unit];
    if (scale === undefined) {
      return { ok: false, status: 400, error: `time: unknown unit "${unit}" in duration "${text}"` };
    }
    totalMs += Number(number) * scale;
    rest = rest.slice(whole.length);
  }
  return { ok: true, value: sign * totalMs };
}

/** Milliseconds to keep the model loaded after a request; `Infinity` for "forever". */
export function parseKeepAlive(value: string | number | undefined): Checked<number> {
  if (value === undefined) return { ok: true, value: defaultKeepAliveMs };
  if (typeof value === 'number')
    return { ok: true, value: value < 0 ? Number.POSITIVE_INFINITY : value * 1000 };
  const parsed = parseGoDuration(value);
  if (!parsed.ok) return parsed;
  return { ok: true, value: parsed.value < 0 ? Number.POSITIVE_INFINITY : parsed.value };
}
