/**
 * @module http-io
 * Reading bodies and writing answers the way Ollama's gin server does: JSON with
 * `application/json; charset=utf-8`, NDJSON streams whose status and headers go out with the first line
 * (so an error before any token can still change the status), plain-text 404s.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SleepAbortedError } from './clock.js';

export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
    // A client that leaves mid-body never sends 'end'; its handler must not wait forever.
    request.on('close', () => {
      if (!request.complete) reject(new SleepAbortedError());
    });
  });
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.destroyed || response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function sendText(response: ServerResponse, status: number, text: string): void {
  if (response.destroyed || response.headersSent) return;
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Writes one JSON object per line; headers go out with the first line, as gin's c.Stream does. */
export class NdjsonWriter {
  constructor(private readonly response: ServerResponse) {}

  get started(): boolean {
    return this.response.headersSent;
  }

  get closed(): boolean {
    return this.response.destroyed || this.response.writableEnded;
  }

  write(value: unknown): void {
    this.writeLine(JSON.stringify(value));
  }

  writeLine(line: string): void {
    if (this.closed) return;
    if (!this.response.headersSent) this.response.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    this.response.write(`${line}\n`);
  }

  end(): void {
    if (this.closed) return;
    if (!this.response.headersSent) this.response.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    this.response.end();
  }
}

/** One HTTP exchange as handlers see it. */
export interface Exchange {
  response: ServerResponse;
  /** Monotonic ns when the request arrived; total_duration and load_duration start here, as in Ollama. */
  receivedAtNs: bigint;
  /** Aborts when the client goes away or the simulator closes. */
  signal: AbortSignal;
  /** Drops the connection on purpose (an injected fault), which is not counted as a client abort. */
  destroy(): void;
  /** Keeps the `done: true` chunk of a chat answer with the recorded request, for tests to compare against. */
  recordFinal(chunk: unknown): void;
}
