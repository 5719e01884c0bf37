/**
 * @module http/request-id
 * Request ids: the client's `x-request-id` when it is a sane token (so ids correlate across a client's
 * own logs), else a new one. Bounded and charset-checked so a header cannot inject into logs.
 */

const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

export function chooseRequestId(incoming: string | undefined, random: () => number): string {
  if (incoming && acceptable.test(incoming)) return incoming;
  return `req_${randomToken(random, 24)}`;
}

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomToken(random: () => number, length: number): string {
  let token = '';
  for (let index = 0; index < length; index++) token += alphabet[Math.floor(random() * alphabet.length)];
  return token;
}
