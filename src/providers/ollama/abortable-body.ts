export function abortBodiesOn(baseFetch: typeof fetch, _signal: AbortSignal): typeof fetch {
  return baseFetch;
}
