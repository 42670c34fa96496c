import { createHash, timingSafeEqual } from 'node:crypto';

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Whether a hostname (as `URL.hostname` gives it) names this machine's loopback interface. */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTNAMES.has(hostname.toLowerCase());
}

/**
 * The hostname of a `Host` header (`localhost:3000`, `[::1]:8080`, `127.0.0.1`), lower-cased, or
 * `undefined` when the header is missing or malformed.
 */
export function hostnameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader || /[\s/@?#]/.test(hostHeader)) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks an `Origin` header against DNS-rebinding and cross-site use (MCP 2025-11-25
 * basic/transports §Security Warning: servers MUST validate `Origin`). An absent header is allowed (non-browser
 * clients send none). `null`, unparsable values and non-http(s) schemes are refused; so are look-alikes
 * (`http://localhost.evil.com`), because only the exact parsed hostname counts. Loopback origins are allowed
 * when `allowLoopback` is true; anything else must be listed in `allowed` (exact origins, e.g.
 * `https://app.example.com`).
 */
export function checkOrigin(
  origin: string | undefined,
  options: { allowed?: readonly string[]; allowLoopback?: boolean } = {},
): OriginVerdict {
  if (origin === undefined) return { ok: true };
  if (origin === 'null') return { ok: false, reason: 'Origin "null" is not allowed' };
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return { ok: false, reason: `Origin ${JSON.stringify(origin.slice(0, 100))} is not a valid origin` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `Origin scheme ${parsed.protocol} is not allowed` };
  }
  if (parsed.origin !== origin) {
    // Userinfo, paths or other decorations: a browser never sends them, an attacker might.
    return { ok: false, reason: `Origin ${JSON.stringify(origin.slice(0, 100))} is not a plain origin` };
  }
  if ((options.allowed ?? []).includes(parsed.origin)) return { ok: true };
  if ((options.allowLoopback ?? true) && isLoopbackHostname(parsed.hostname)) return { ok: true };
  return { ok: false, reason: `Origin ${parsed.origin} is not allowed` };
}

/**
 * Verifies `Authorization: Bearer <token>` against a set of tokens in constant time: every candidate is
 * compared (SHA-256 digests, `timingSafeEqual`), so neither the position of a match nor a token's length
 * leaks through timing.
 */
export function createBearerVerifier(
  tokens: readonly string[],
): (authorization: string | undefined) => boolean {
  const digests = tokens.map((token) => createHash('sha256').update(token).digest());
  return (authorization) => {
    const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization ?? '');
    const presented = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    let ok = false;
    for (const digest of digests) ok = timingSafeEqual(digest, presented) || ok;
    return ok && match !== null;
  };
}

export interface RateLimitOptions {
  /** Requests a client may make in a burst. */
  burst: number;
  /** Tokens added per second (the sustained rate). */
  perSecond: number;
  /** Most clients tracked at once; the least recently seen are forgotten first. @default 10_000 */
  maxClients?: number;
}

/** A token bucket per client key. `take(key)` spends one token or says when the next one arrives. */
export class RateLimiter {
  readonly #options: Required<RateLimitOptions>;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimitOptions) {
    if (!(options.burst >= 1) || !(options.perSecond > 0)) {
      throw new RangeError(
        `Rate limit needs burst ≥ 1 and perSecond > 0 (got ${options.burst}, ${options.perSecond})`,
      );
    }
    this.#options = { maxClients: 10_000, ...options };
  }

  /** Whether `take(key)` would succeed now, without spending anything. */
  peek(key: string, now = performance.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    const { burst, perSecond } = this.#options;
    const bucket = this.#buckets.get(key);
    if (!bucket) return { ok: true };
    const tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    return tokens >= 1
      ? { ok: true }
      : { ok: false, retryAfterMs: Math.ceil(((1 - tokens) / perSecond) * 1000) };
  }

  take(key: string, now = performance.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    const { burst, perSecond, maxClients } = this.#options;
    let bucket = this.#buckets.get(key);
    if (bucket) {
      this.#buckets.delete(key);
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
    } else {
      bucket = { tokens: burst, at: now };
      if (this.#buckets.size >= maxClients) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) / perSecond) * 1000) };
  }
}
