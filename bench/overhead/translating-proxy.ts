/**
 * @module bench/overhead/translating-proxy
 * A second floor for the overhead benchmark: the least a Node proxy must do to speak the OpenAI API in
 * front of Ollama's native `/api/chat`, which the pass-through floor never does. It parses the request's
 * JSON, builds the native body, streams the answer from Ollama (as switchyard does, for the time to first
 * token), splits and parses each NDJSON line, and writes OpenAI chunks as server-sent events, or one
 * `chat.completion` body. Nothing else: no validation, no routing, no profile rows, no metrics, no
 * framework, and only the fields the benchmark's request uses. What switchyard adds beyond this is the
 * cost of those features and of its libraries; what this adds beyond the pass-through floor is the cost
 * of the translation itself, which no OpenAI-compatible proxy in front of Ollama avoids.
 *
 * Fields outside the OpenAI API that the benchmark sends (`keep_alive`, `options`) are forwarded, so that
 * Ollama is asked for exactly the work switchyard asks for (the same `num_ctx`: no model reloads).
 *
 * `tsx bench/overhead/translating-proxy.ts --upstream http://127.0.0.1:11434 [--port 0]`; prints its URL.
 */
import { Agent, createServer, request, type ServerResponse } from 'node:http';
import { isMainModule, listenReferenceProxy, type ReferenceProxy, runReferenceProxy } from './proxy-main.js';

export interface OpenAiBody {
  model: string;
  messages: Array<{ role: string; content: string | Array<{ type: string; text?: string }> }>;
  stream?: boolean;
  max_tokens?: number;
  temperature?: number;
  keep_alive?: unknown;
  options?: Record<string, unknown>;
}

export interface NativeLine {
  message?: { content?: string };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

/** The native `/api/chat` request for an OpenAI one, without `stream`. */
export function nativeChatOf(body: OpenAiBody) {
  const options: Record<string, unknown> = { ...body.options };
  if (body.max_tokens !== undefined) options.num_predict = body.max_tokens;
  if (body.temperature !== undefined) options.temperature = body.temperature;
  return {
    model: body.model.replace(/^ollama\//, ''),
    messages: body.messages.map((message) => ({
      role: message.role === 'developer' ? 'system' : message.role,
      content:
        typeof message.content === 'string'
          ? message.content
          : message.content.map((part) => part.text ?? '').join(''),
    })),
    ...(body.keep_alive !== undefined ? { keep_alive: body.keep_alive as string | number } : {}),
    options,
  };
}

/**
 * Ollama streams only when the client does: a whole answer is one `stream: false` call and one object to
 * parse. (switchyard always streams from Ollama, to measure the time to first token of every completion;
 * that is its design's cost, not translation's: the `stack` floor pays it.)
 */
function nativeBodyOf(body: OpenAiBody): string {
  const { model, messages, ...rest } = nativeChatOf(body);
  return JSON.stringify({ model, messages, stream: body.stream === true, ...rest });
}

/** One OpenAI `chat.completion.chunk` as a server-sent event. */
export function completionChunk(
  id: string,
  created: number,
  model: string,
  delta: object,
  finishReason: string | null,
): string {
  return `data: ${JSON.stringify({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  })}\n\n`;
}

/** A whole OpenAI `chat.completion` from the answer's text and Ollama's last line. */
export function completionBody(
  id: string,
  created: number,
  model: string,
  content: string,
  last: NativeLine,
) {
  const prompt = last.prompt_eval_count ?? 0;
  const completion = last.eval_count ?? 0;
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content },
        finish_reason: last.done_reason === 'length' ? 'length' : 'stop',
      },
    ],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

let sequence = 0;

/** Turns Ollama's lines into the OpenAI answer, streamed or whole. */
function answerWriter(outgoing: ServerResponse, model: string, stream: boolean) {
  const id = `chatcmpl-${++sequence}`;
  const created = Math.floor(Date.now() / 1000);
  let content = '';
  let first = true;
  const chunk = (delta: object, finishReason: string | null) =>
    completionChunk(id, created, model, delta, finishReason);
  return {
    /** The SSE text for one line (empty when not streaming), and whether the answer is complete. */
    line(line: NativeLine): string {
      const finishReason = line.done ? (line.done_reason === 'length' ? 'length' : 'stop') : null;
      if (!stream) {
        content += line.message?.content ?? '';
        if (!line.done) return '';
        outgoing.writeHead(200, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify(completionBody(id, created, model, content, line)));
        return '';
      }
      let text = '';
      if (first) {
        first = false;
        outgoing.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        text += chunk({ role: 'assistant', content: line.message?.content ?? '' }, null);
      } else if (line.message?.content) {
        text += chunk({ content: line.message.content }, null);
      }
      if (line.done) text += `${chunk({}, finishReason)}data: [DONE]\n\n`;
      return text;
    },
  };
}

function fail(outgoing: ServerResponse, status: number, message: string): void {
  if (outgoing.headersSent) {
    outgoing.destroy();
    return;
  }
  outgoing.writeHead(status, { 'content-type': 'application/json' });
  outgoing.end(JSON.stringify({ error: { message, type: 'upstream_error' } }));
}

export async function startTranslatingProxy(options: {
  upstream: string;
  host?: string;
  port?: number;
}): Promise<ReferenceProxy> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

  const handle = (outgoing: ServerResponse, raw: string) => {
    let body: OpenAiBody;
    try {
      body = JSON.parse(raw) as OpenAiBody;
    } catch {
      fail(outgoing, 400, 'the body is not JSON');
      return;
    }
    const native = nativeBodyOf(body);
    const writer = answerWriter(outgoing, body.model, body.stream === true);
    const proxied = request(
      {
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        method: 'POST',
        path: '/api/chat',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(native) },
      },
      (answer) => {
        if (answer.statusCode !== 200) {
          answer.resume();
          fail(outgoing, 502, `Ollama answered ${answer.statusCode}`);
          return;
        }
        answer.setEncoding('utf8');
        let partial = '';
        let ended = false;
        const stop = (message: string) => {
          ended = true;
          answer.destroy();
          fail(outgoing, 502, message);
        };
        /** Translates complete lines; false once the answer ended or failed. */
        const take = (lines: readonly string[]) => {
          let text = '';
          for (const line of lines) {
            if (line.length === 0) continue;
            let parsed: NativeLine;
            try {
              parsed = JSON.parse(line) as NativeLine;
            } catch {
              stop('Ollama sent a line that is not JSON');
              return;
            }
            if (parsed.error !== undefined) {
              stop(parsed.error);
              return;
            }
            text += writer.line(parsed);
            if (parsed.done) ended = true;
          }
          // The lines of one read leave in one write, as switchyard does.
          if (text.length > 0) outgoing.write(text);
          if (text.endsWith('data: [DONE]\n\n')) outgoing.end();
        };
        answer.on('data', (piece: string) => {
          if (ended) return;
          const lines = (partial + piece).split('\n');
          partial = lines.pop() ?? '';
          take(lines);
        });
        answer.on('end', () => {
          if (!ended) take([partial]);
          if (!ended) stop('Ollama ended the answer before its last line');
        });
        answer.on('aborted', () => {
          if (!ended) stop('the connection to Ollama broke');
        });
      },
    );
    proxied.on('error', (error) => fail(outgoing, 502, error.message));
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) proxied.destroy();
    });
    proxied.end(native);
  };

  const server = createServer((incoming, outgoing) => {
    const pieces: Buffer[] = [];
    incoming.on('data', (piece: Buffer) => pieces.push(piece));
    incoming.on('end', () => handle(outgoing, Buffer.concat(pieces).toString('utf8')));
  });
  return listenReferenceProxy(server, agent, options);
}

if (isMainModule(import.meta.url)) {
  await runReferenceProxy('bench/overhead/translating-proxy.ts', startTranslatingProxy);
}
