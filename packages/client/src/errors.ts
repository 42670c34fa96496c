import { MimoError } from '@mimo-mcp/core';

export type ClientErrorCode =
  /** An argument or option is invalid (the message names it and the rule). */
  | 'INVALID_ARGUMENT'
  /** A gateway configuration is invalid (the message names the skill and the field). */
  | 'INVALID_CONFIG'
  /** The connection could not be established (the server exited, or the handshake failed). */
  | 'CONNECT_FAILED'
  /** Client and server share no protocol version (the message lists both sides). */
  | 'UNSUPPORTED_PROTOCOL_VERSION'
  /** The client is not connected (yet, or any more). */
  | 'NOT_CONNECTED'
  /** The request got no answer in time. */
  | 'TIMEOUT'
  /** The request was aborted through its signal. */
  | 'ABORTED'
  /** The server answered with a JSON-RPC error (its code and data are kept). */
  | 'REMOTE_ERROR'
  /** The server's answer broke the protocol (wrong shape, a result the client cannot act on). */
  | 'PROTOCOL_VIOLATION'
  /** No tool, prompt or resource by that name is exposed. */
  | 'UNKNOWN_NAME'
  /** The skill cannot take calls now (circuit open, crash loop, disabled, stopped, at its concurrency limit). */
  | 'SKILL_UNAVAILABLE'
  /** The client or gateway is closed. */
  | 'CLOSED';

/**
 * The error of `@mimo-mcp/client`. A server's JSON-RPC error arrives as `REMOTE_ERROR` with `remoteCode`
 * and `data` kept; local conditions (timeouts, aborts, a closed connection) have their own codes, so a
 * local failure is never mistaken for the server's answer.
 *
 * @example
 * catch (error) { if (ClientError.isInstance(error) && error.code === 'TIMEOUT') … }
 */
export class ClientError extends MimoError<ClientErrorCode> {
  static override readonly marker = Symbol.for('mimo.error.ClientError');
  override readonly name = 'ClientError';
  /** The JSON-RPC error code, for `REMOTE_ERROR`. */
  readonly remoteCode: number | undefined;

  constructor(
    code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown; data?: Record<string, unknown>; remoteCode?: number },
  ) {
    super(code, message, options);
    this.remoteCode = options?.remoteCode;
  }
}
