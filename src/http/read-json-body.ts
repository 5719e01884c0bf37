/**
 * @module http/read-json-body
 * Reads a JSON request body with a size limit enforced while reading (a chunked body has no
 * Content-Length to trust), and turns malformed JSON into a 400 that says what to fix.
 */
import { GatewayError, invalidRequest } from '../errors.js';

/**
 * `declaredLength` is the request's Content-Length header (undefined when absent), read by the caller
 * with `requestHeader`, which spares the web `Headers` object `request.headers` would build.
 */
export async function readJsonBody(
  request: Request,
  limitBytes: number,
  declaredLength: string | undefined,
): Promise<unknown> {
  const declared = Number(declaredLength);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  // A declared length within the limit bounds what the HTTP parser lets through, so the body can be read
  // whole: on @hono/node-server that reads the socket directly, without building a web Request and
  // ReadableStream for every request (most of the cost of reading a body the other way).
  const text =
    declaredLength !== undefined && /^\d+$/.test(declaredLength)
      ? await request.text()
      : await readLimited(request, limitBytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(
      `The request body is not valid JSON (${error instanceof Error ? error.message : 'parse error'}). Send a JSON object with \`model\` and \`messages\`.`,
      null,
      'invalid_json',
    );
  }
}

/** Reads a body of unknown length (chunked), failing as soon as it passes the limit. */
async function readLimited(request: Request, limitBytes: number): Promise<string> {
  if (!request.body) throw invalidRequest('The request has no body. Send a JSON chat completion request.');
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel();
      throw tooLarge(limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function tooLarge(limitBytes: number): GatewayError {
  return new GatewayError(
    'payload_too_large',
    `The request body is larger than ${limitBytes} bytes. Shorten the prompt or raise server.body_limit_bytes in the config.`,
    { code: 'request_too_large' },
  );
}
