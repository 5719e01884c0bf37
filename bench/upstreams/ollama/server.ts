/**
 * @module server
 * The HTTP front of the simulator on plain `node:http`: routes requests like Ollama's gin router
 * (unknown routes get gin's plain-text 404), records what it received, notices clients that leave
 * early, and owns start-up and shutdown.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleChat } from './chat-handler.js';
import { monotonicNs, SleepAbortedError } from './clock.js';
import { handleControl } from './control-handlers.js';
import { defaultSimulatedModels } from './default-models.js';
import { parseFault } from './faults.js';
import { type Exchange, readBody, sendJson, sendText } from './http-io.js';
import { handlePs, handleShow, handleTags, handleVersion } from './info-handlers.js';
import { SimulatorContext } from './simulator-context.js';
import type { OllamaSimulator, OllamaSimulatorOptions, RecordedRequest } from './types.js';

/** Recorded requests kept for inspection; older ones are dropped. */
const maxRecordedRequests = 1000;

function parseBody(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: false, error: 'missing request body' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export async function startOllamaSimulator(options: OllamaSimulatorOptions = {}): Promise<OllamaSimulator> {
  const speedFactor = options.speedFactor ?? 1;
  if (!(speedFactor > 0)) throw new RangeError(`speedFactor must be positive, got ${speedFactor}`);
  const context = new SimulatorContext(
    options.models ?? defaultSimulatedModels,
    options.seed ?? 1,
    speedFactor,
  );
  const requests: RecordedRequest[] = [];
  let abortedRequests = 0;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const receivedAtNs = monotonicNs();
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    const controller = new AbortController();
    const onShutdown = (): void => controller.abort();
    context.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    let injected = false;
    response.on('close', () => {
      context.shutdown.signal.removeEventListener('abort', onShutdown);
      if (!response.writableEnded && !injected && !context.shutdown.signal.aborted) abortedRequests++;
      controller.abort();
    });
    const exchange: Exchange = {
      response,
      receivedAtNs,
      signal: controller.signal,
      recordFinal: () => undefined,
      destroy: () => {
        injected = true;
        // Lines already written may still sit in the corked socket: let them out first, as a real server
        // that dies mid-answer has already sent them. Destroying at once would drop them too.
        const socket = request.socket;
        setImmediate(() => socket.destroy());
      },
    };

    const bodyText = await readBody(request);
    if (path.startsWith('/__sim/')) {
      const state = { requests, abortedRequests: () => abortedRequests };
      return handleControl(context, state, exchange, `${method} ${path}`, bodyText);
    }
    if (context.faults.take({ stage: 'connection' })) return exchange.destroy();

    const body = parseBody(bodyText);
    const recorded: RecordedRequest = {
      method,
      path,
      body: body.ok ? body.value : bodyText === '' ? null : bodyText,
      receivedAt: Date.now(),
    };
    exchange.recordFinal = (chunk) => {
      recorded.final = chunk;
    };
    requests.push(recorded);
    if (requests.length > maxRecordedRequests) requests.splice(0, requests.length - maxRecordedRequests);

    const route = `${method === 'HEAD' ? 'GET' : method} ${path}`;
    switch (route) {
      case 'GET /':
        return sendText(response, 200, 'Ollama is running');
      case 'GET /api/version':
        return handleVersion(exchange);
      case 'GET /api/tags':
        return handleTags(context, exchange);
      case 'GET /api/ps':
        return handlePs(context, exchange);
      case 'POST /api/show':
        if (!body.ok) return sendJson(response, 400, { error: body.error });
        return handleShow(context, exchange, body.value);
      case 'POST /api/chat':
        if (!body.ok) return sendJson(response, 400, { error: body.error });
        return handleChat(context, exchange, body.value);
      default:
        return sendText(response, 404, '404 page not found');
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof SleepAbortedError) return;
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) sendJson(response, 500, { error: message });
      else response.destroy();
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        context.dispose();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
    setFault: (fault) => {
      const checked = parseFault(fault);
      if (!checked.ok) throw new TypeError(checked.error);
      context.faults.set(checked.value);
    },
    setSlowdown: (model, factor) => context.setSlowdown(model, factor),
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    get abortedRequests() {
      return abortedRequests;
    },
    loadedModels: () => context.loadedEntries().map((entry) => entry.spec.name),
  };
}
