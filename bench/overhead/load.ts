/**
 * @module bench/overhead/load
 * The load generator: `node:http` with one keep-alive Agent per target (as many sockets as workers), so
 * no connection is opened while measuring. The same client code drives all three targets; it reads the
 * body as bytes and never parses it, keeping the client's own cost small and equal for every target.
 */
import { Agent, request } from 'node:http';

/** One endpoint the load generator sends to: a base URL, a path and a prepared body. */
export interface LoadTarget {
  name: string;
  url: URL;
  body: Buffer;
  /** Extra request headers (e.g. a cloud API's key and version); content-type and length are always set. */
  headers?: Record<string, string>;
  /** Checks the tail of the response body (e.g. that a stream ended properly). */
  completed: (tail: string) => boolean;
}

export interface Sample {
  /** Milliseconds from sending the request to the first body byte. */
  firstByteMs: number;
  /** Milliseconds from sending the request to the end of the response. */
  totalMs: number;
}

export interface BatchResult {
  samples: Sample[];
  errors: number;
  firstError?: string;
  elapsedMs: number;
}

const agents = new Map<string, Agent>();

function agentFor(target: LoadTarget, concurrency: number): Agent {
  const key = `${target.name} ${concurrency}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
    agents.set(key, agent);
  }
  return agent;
}

export function destroyAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

/** Bytes of the body's end kept for the completion check. */
const tailBytes = 96;

function send(target: LoadTarget, agent: Agent): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByteMs = -1;
    const outgoing = request(
      {
        agent,
        hostname: target.url.hostname,
        port: target.url.port,
        path: target.url.pathname + target.url.search,
        method: 'POST',
        headers: {
          ...target.headers,
          'content-type': 'application/json',
          'content-length': target.body.length,
          accept: '*/*',
        },
      },
      (response) => {
        let tail = '';
        response.setEncoding('latin1');
        response.on('data', (text: string) => {
          if (firstByteMs < 0) firstByteMs = performance.now() - started;
          tail = text.length >= tailBytes ? text.slice(-tailBytes) : (tail + text).slice(-tailBytes);
        });
        response.on('end', () => {
          const totalMs = performance.now() - started;
          if (response.statusCode !== 200) {
            reject(new Error(`${target.name}: HTTP ${response.statusCode}: ${tail}`));
          } else if (!target.completed(tail)) {
            reject(new Error(`${target.name}: response ended without its final chunk: …${tail}`));
          } else {
            resolve({ firstByteMs: firstByteMs < 0 ? totalMs : firstByteMs, totalMs });
          }
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(target.body);
  });
}

/** Sends `count` requests to `target`, `concurrency` at a time, and times each one. */
export async function runBatch(target: LoadTarget, count: number, concurrency: number): Promise<BatchResult> {
  const agent = agentFor(target, concurrency);
  const samples: Sample[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let issued = 0;
  const started = performance.now();
  const worker = async () => {
    while (issued < count) {
      issued++;
      try {
        samples.push(await send(target, agent));
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return {
    samples,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    elapsedMs: performance.now() - started,
  };
}
