import type { IncomingMessage } from 'node:http';
import { MimoErrorCode } from '../errors.js';
import { HttpRejection } from './http-rejection.js';

/** A request header as one trimmed string (repeated headers joined by `, `), or `undefined`. */
export function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value?.trim();
}

/** Whether an `Accept` header lists `type` (exactly, as `major/*`, or as `*\/*`). */
export function accepts(acceptHeader: string | undefined, type: string): boolean {
  if (!acceptHeader) return false;
  const [major] = type.split('/');
  return acceptHeader
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase())
    .some((media) => media === type || media === `${major}/*` || media === '*/*');
}

/** Reads a request body as UTF-8, refusing (413) one over `maxBodyBytes`, declared or streamed. */
export async function readBody(request: IncomingMessage, maxBodyBytes: number): Promise<string> {
  const declared = Number(header(request, 'content-length') ?? Number.NaN);
  const tooLarge = () =>
    new HttpRejection(
      413,
      MimoErrorCode.MESSAGE_TOO_LARGE,
      `Request body is larger than the limit of ${maxBodyBytes} bytes`,
      null,
      {},
      { limitBytes: maxBodyBytes },
    );
  if (declared > maxBodyBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) {
      request.resume();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
