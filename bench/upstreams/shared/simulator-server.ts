/**
 * @module The node:http shell both simulated providers run in: body reading, the request log, the
 * `/__sim/*` control endpoints, client-abort accounting and shutdown. Provider behaviour lives in the
 * handler each simulator passes in, so the shell never branches on a provider.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultController, parseFault, type SimulatorFault } from './faults.js';
import { type RecordedRequest, RequestLog } from './request-log.js';

/** One request as a provider handler sees it. */
export interface SimulatorExchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body; `undefined` when the body was empty or not JSON (see `bodyIsInvalidJson`). */
  readonly body: unknown;
  readonly bodyIsInvalidJson: boolean;
  readonly response: ServerResponse;
  /** Aborts when the client disconnects before the response is complete, or after `cut()`. */
  readonly signal: AbortSignal;
  /** `performance.now()` when the request arrived: latency is simulated from here. */
  readonly receivedAt: number;
  /** Destroys the connection mid-response on purpose; not counted as a client abort. */
  cut(): void;
}

export type SimulatorHandler = (exchange: SimulatorExchange, faults: FaultController) => Promise<void>;

/** What `startAnthropicSimulator` and `startGeminiSimulator` resolve to. */
export interface SimulatorHandle {
  /** Base URL to give the SDK, e.g. `http://127.0.0.1:4101` (no trailing slash, no version path). */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  close(): Promise<void>;
  /** Arms a fault for the following requests (`null` clears it). */
  setFault(fault: SimulatorFault | null): void;
  /** Recent received requests (last 200), API keys redacted; `/__sim/*` calls are not recorded. */
  readonly requests: ReadonlyArray<RecordedRequest>;
  clearRequests(): void;
  /** Requests whose client disconnected before the response was complete. */
  readonly abortedRequests: number;
}

export interface SimulatorServerOptions {
  readonly host: string;
  readonly port: number;
  readonly apiKey: string;
  readonly handler: SimulatorHandler;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function startSimulatorServer(options: SimulatorServerOptions): Promise<SimulatorHandle> {
  const log = new RequestLog();
  const faults = new FaultController();
  let abortedRequests = 0;

  const server = createServer((request, response) => {
    const receivedAt = performance.now();
    const controller = new AbortController();
    let cutOnPurpose = false;
    response.on('close', () => {
      if (!response.writableFinished && !cutOnPurpose) abortedRequests++;
      controller.abort();
    });
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const { body, invalid } = parseBody(text);
      const url = new URL(request.url ?? '/', 'http://simulator.local');
      const exchange: SimulatorExchange = {
        method: request.method ?? 'GET',
        url,
        headers: request.headers,
        body,
        bodyIsInvalidJson: invalid,
        response,
        signal: controller.signal,
        receivedAt,
        cut: () => {
          cutOnPurpose = true;
          controller.abort();
          response.destroy();
        },
      };
      if (url.pathname.startsWith('/__sim/')) {
        handleControl(exchange, faults, log);
        return;
      }
      log.record(exchange.method, request.url ?? '/', request.headers, invalid ? text : (body ?? null));
      options.handler(exchange, faults).catch((error: unknown) => {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        sendJson(response, 500, { error: { message: `simulator bug: ${String(error)}` } });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    apiKey: options.apiKey,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
    setFault: (fault) => faults.set(fault),
    get requests() {
      return log.entries;
    },
    clearRequests: () => log.clear(),
    get abortedRequests() {
      return abortedRequests;
    },
  };
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function parseBody(text: string): { body: unknown; invalid: boolean } {
  if (text.trim() === '') return { body: undefined, invalid: false };
  try {
    return { body: JSON.parse(text) as unknown, invalid: false };
  } catch {
    return { body: undefined, invalid: true };
  }
}

function handleControl(exchange: SimulatorExchange, faults: FaultController, log: RequestLog): void {
  const [status, body] = control(exchange, faults, log);
  sendJson(exchange.response, status, body);
}

function control(exchange: SimulatorExchange, faults: FaultController, log: RequestLog): [number, unknown] {
  const { method, url } = exchange;
  const route = `${method} ${url.pathname}`;
  switch (route) {
    case 'GET /__sim/fault':
      return [200, { fault: faults.current }];
    case 'DELETE /__sim/fault':
      faults.set(null);
      return [200, { fault: null }];
    case 'POST /__sim/fault':
      if (exchange.bodyIsInvalidJson) return [400, { error: { message: 'body is not JSON' } }];
      try {
        faults.set(parseFault(exchange.body ?? null));
        return [200, { fault: faults.current }];
      } catch (error) {
        return [400, { error: { message: (error as Error).message } }];
      }
    case 'GET /__sim/requests':
      return [200, { requests: log.entries }];
    case 'DELETE /__sim/requests':
      log.clear();
      return [200, { requests: [] }];
    default:
      return [404, { error: { message: `no simulator control endpoint ${route}` } }];
  }
}
