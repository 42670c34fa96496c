import type { IncomingMessage } from 'node:http';
import { type OptionKeys, rejectUnknownOptions } from '@mimo-mcp/core';
import { ProtocolError } from '../errors.js';
import { HttpRejection, HttpTransportErrorCode, tooManyRequests } from './http-rejection.js';
import { header } from './http-request.js';
import {
  checkOrigin,
  createBearerVerifier,
  hostnameOf,
  isLoopbackHostname,
  RateLimiter,
  type RateLimitOptions,
} from './security.js';

/** The keys of {@link RequestGateOptions}, for callers that pick the gate's part of a larger options object. */
export const REQUEST_GATE_OPTION_KEYS = {
  allowedHosts: true,
  allowedOrigins: true,
  tokens: true,
  rateLimit: true,
  authFailureLimit: true,
} as const satisfies OptionKeys<RequestGateOptions>;

export interface RequestGateOptions {
  /**
   * `Host` names accepted (DNS-rebinding protection). `undefined` accepts loopback names only, which is
   * right for a server bound to 127.0.0.1; a server behind a proxy lists its public names. `'*'` accepts any.
   */
  allowedHosts?: readonly string[] | '*';
  /** Browser origins accepted besides loopback ones (exact, e.g. `https://app.example.com`). */
  allowedOrigins?: readonly string[];
  /** Bearer tokens; when non-empty every request must carry one (`Authorization: Bearer …`). */
  tokens?: readonly string[];
  /** Per-client token bucket (client = token, else remote address); `false` turns it off. */
  rateLimit?: RateLimitOptions | false;
  /**
   * Failed bearer-token checks allowed per remote address, as a token bucket: past it the address gets
   * 429 with `Retry-After` and its tokens are not even compared, so guessing is slowed to `perSecond`.
   * Behind a reverse proxy every client shares the proxy's address. `false` turns it off.
   * @default { burst: 10, perSecond: 0.1 } (10 failures, then one per 10 s)
   */
  authFailureLimit?: RateLimitOptions | false;
}

/** The checks every route of an MCP HTTP server shares: `Host`, `Origin`, bearer token, rate limit. */
export interface RequestGate {
  /**
   * Checks a request; returns the refusal to answer with (403 Host/Origin, 401 token, 429 rate), or
   * `undefined` when it may pass. `{ authenticate: false }` checks only `Host` and `Origin` (DNS
   * rebinding), for routes that probes call without a token, like `/health`.
   */
  check(request: IncomingMessage, options?: { authenticate?: boolean }): HttpRejection | undefined;
  /** Who a request comes from, for per-client limits: its token when tokens are set, else its address. */
  clientKey(request: IncomingMessage): string;
  /** Whether requests must carry a bearer token (tokens were given). */
  readonly requiresToken: boolean;
}

/**
 * Builds the request gate of an MCP HTTP server. One gate holds the rate-limit and failed-token buckets,
 * so every route gated by the same gate shares them.
 *
 * @example
 * const gate = createRequestGate({ tokens: [token] });
 * const refusal = gate.check(request);
 * if (refusal) writeHttpRejection(response, refusal);
 */
export function createRequestGate(options: RequestGateOptions = {}): RequestGate {
  rejectUnknownOptions('createRequestGate', options, REQUEST_GATE_OPTION_KEYS, ProtocolError);
  const allowedHosts =
    options.allowedHosts === undefined || options.allowedHosts === '*'
      ? options.allowedHosts
      : options.allowedHosts.map((host) => host.toLowerCase());
  const allowedOrigins = options.allowedOrigins ?? [];
  const verify =
    options.tokens && options.tokens.length > 0 ? createBearerVerifier(options.tokens) : undefined;
  const limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
  const authFailureLimit = options.authFailureLimit ?? { burst: 10, perSecond: 0.1 };
  const authFailures = verify && authFailureLimit ? new RateLimiter(authFailureLimit) : undefined;
  const clientKey = (request: IncomingMessage) =>
    verify ? `token:${header(request, 'authorization')}` : `ip:${request.socket.remoteAddress}`;

  return {
    requiresToken: verify !== undefined,
    clientKey,
    check(request, { authenticate = true } = {}) {
      if (allowedHosts !== '*') {
        const hostname = hostnameOf(header(request, 'host'));
        const ok =
          hostname !== undefined &&
          (allowedHosts === undefined
            ? isLoopbackHostname(hostname)
            : allowedHosts.includes(hostname) || allowedHosts.includes(header(request, 'host') ?? ''));
        if (!ok) {
          return new HttpRejection(
            403,
            HttpTransportErrorCode.BAD_REQUEST,
            `Forbidden: Host ${JSON.stringify(header(request, 'host') ?? '')} is not allowed`,
          );
        }
      }
      const origin = checkOrigin(header(request, 'origin'), { allowed: allowedOrigins });
      if (!origin.ok) {
        return new HttpRejection(403, HttpTransportErrorCode.BAD_REQUEST, `Forbidden: ${origin.reason}`);
      }
      if (!authenticate) return undefined;
      if (verify) {
        const address = `ip:${request.socket.remoteAddress}`;
        // An address that failed too often is refused before its token is even compared.
        const allowed = authFailures?.peek(address);
        if (allowed && !allowed.ok) return tooManyRequests(allowed.retryAfterMs, 'failed token checks');
        if (!verify(header(request, 'authorization'))) {
          authFailures?.take(address);
          return new HttpRejection(
            401,
            HttpTransportErrorCode.BAD_REQUEST,
            'Unauthorized: a valid bearer token is required',
            null,
            { 'WWW-Authenticate': 'Bearer' },
          );
        }
      }
      if (limiter) {
        const taken = limiter.take(clientKey(request));
        if (!taken.ok) return tooManyRequests(taken.retryAfterMs, 'requests');
      }
      return undefined;
    },
  };
}
