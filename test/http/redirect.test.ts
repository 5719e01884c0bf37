/**
 * @module test/http/redirect
 * The credential rule of the redirect policy for the cases the servers in node-fetch-redirect.test.ts
 * cannot show without TLS: an upgrade from http to https on the same host name and default ports keeps
 * the API keys (the common gateway redirect), a downgrade, another host name or another port does not.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { followRedirects } from '../../src/http/redirect.js';

/** A response head with a small body, enough for followRedirects. */
function answer(status: number, location?: string): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from('body')]), {
    statusCode: status,
    headers: location === undefined ? {} : { location },
  }) as unknown as IncomingMessage;
}

/** The headers the hop after a 308 from `from` to `to` is sent with. */
async function headersAfterRedirect(from: string, to: string): Promise<Headers> {
  const sent: RequestInit[] = [];
  const outcome = await followRedirects(
    answer(308, to),
    from,
    {
      method: 'POST',
      headers: { 'x-api-key': 'a', 'x-goog-api-key': 'g', authorization: 'Bearer t', accept: 'x' },
      body: '{}',
    },
    async (_url, init) => {
      sent.push(init);
      return answer(200);
    },
  );
  expect(outcome).toMatchObject({ url: to, redirected: true });
  expect(sent).toHaveLength(1);
  return new Headers(sent[0]!.headers);
}

describe('followRedirects credentials', () => {
  it.each([
    ['http://gateway.corp/anthropic', 'https://gateway.corp/anthropic'],
    ['http://127.0.0.1/v1', 'https://127.0.0.1/v1'],
  ])(
    'keeps them on an upgrade to https on the same host name and default ports (%s → %s)',
    async (from, to) => {
      const headers = await headersAfterRedirect(from, to);
      expect(headers.get('x-api-key')).toBe('a');
      expect(headers.get('x-goog-api-key')).toBe('g');
      expect(headers.get('authorization')).toBe('Bearer t');
    },
  );

  it.each([
    ['https://gateway.corp/v1', 'http://gateway.corp/v1'],
    ['http://gateway.corp/v1', 'https://elsewhere.example/v1'],
    ['https://gateway.corp/v1', 'https://gateway.corp.example/v1'],
    // Another port may be another service on the same host.
    ['http://gateway.corp:8080/v1', 'https://gateway.corp:8443/v1'],
    ['http://127.0.0.1:4010/v1', 'https://127.0.0.1:8443/v1'],
  ])('drops them on a downgrade, for another host or another port (%s → %s)', async (from, to) => {
    const headers = await headersAfterRedirect(from, to);
    expect(headers.has('x-api-key')).toBe(false);
    expect(headers.has('x-goog-api-key')).toBe(false);
    expect(headers.has('authorization')).toBe(false);
    expect(headers.get('accept')).toBe('x');
  });
});
