/**
 * @module bench/overhead/passthrough-proxy
 * The floor of the overhead benchmark: the least a Node HTTP proxy can do. It pipes the request body to
 * the upstream and the upstream's response back, parsing nothing, over a keep-alive connection pool.
 * Whatever switchyard adds beyond this is the cost of what it does (validation, translation, profiling),
 * not of being a Node process in the path.
 *
 * `tsx bench/overhead/passthrough-proxy.ts --upstream http://127.0.0.1:11434 [--port 0]`; prints its URL.
 * With an IPC channel (spawned by the bench) it exits when its parent goes away.
 */
import { Agent, createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';
import { isMainModule, listenReferenceProxy, type ReferenceProxy, runReferenceProxy } from './proxy-main.js';

/** Headers that describe one connection, not the message: a proxy must not forward them. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name)) result[name] = value;
  }
  return result;
}

export async function startPassthroughProxy(options: {
  upstream: string;
  host?: string;
  port?: number;
}): Promise<ReferenceProxy> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const upstreamHost = upstream.host;

  const server = createServer((incoming, outgoing) => {
    const headers = forwardable(incoming.headers);
    headers.host = upstreamHost;
    const proxied = request(
      {
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
        answer.pipe(outgoing);
      },
    );
    proxied.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502).end();
      else outgoing.destroy();
    });
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) proxied.destroy();
    });
    incoming.pipe(proxied);
  });
  return listenReferenceProxy(server, agent, options);
}

if (isMainModule(import.meta.url)) {
  await runReferenceProxy('bench/overhead/passthrough-proxy.ts', startPassthroughProxy);
}
