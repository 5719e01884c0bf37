/**
 * @module providers/ollama/keep-alive
 * Ollama's `keep_alive` as milliseconds: how long a model stays loaded after a request, which routing
 * uses to know whether the next request pays a load.
 */

/** Ollama keep_alive: seconds as a number, or a Go duration ("5m", "1h30m"); negative = forever. */
export function parseKeepAlive(value: string | number): number {
  if (typeof value === 'number') return value < 0 ? Number.POSITIVE_INFINITY : value * 1000;
  if (/^-/.test(value)) return Number.POSITIVE_INFINITY;
  let total = 0;
  let matched = false;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true;
    const amount = Number(match[1]);
    total +=
      amount * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[match[2] as 'ms' | 's' | 'm' | 'h'];
  }
  return matched ? total : Number(value) * 1000 || 300_000;
}
