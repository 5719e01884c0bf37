/**
 * @module http/read-json-body
 * Reads a JSON request body with a size limit enforced while reading (a chunked body has no
 * Content-Length to trust), and turns malformed JSON into a 400 that says what to fix.
 */
import { GatewayError, invalidRequest } from '../errors.js';

export async function readJsonBody(request: Request, limitBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
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
  const text = Buffer.concat(chunks, total).toString('utf8');
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

function tooLarge(limitBytes: number): GatewayError {
  return new GatewayError(
    'payload_too_large',
    `The request body is larger than ${limitBytes} bytes. Shorten the prompt or raise server.body_limit_bytes in the config.`,
    { code: 'request_too_large' },
  );
}
