import { MimoError } from '@mimo-mcp/core';

export type ProcessErrorCode =
  /** The command is not on the allow-list (the message names it and the list). */
  | 'COMMAND_NOT_ALLOWED'
  /** An argument, environment entry or option is invalid (the message names it and the rule). */
  | 'INVALID_ARGUMENT'
  /** A `${NAME}` in the environment refers to a variable the spec did not declare in `passEnv`. */
  | 'ENV_NOT_DECLARED'
  /** `maxProcesses` children are running and queueing is off (or the queue is full). */
  | 'TOO_MANY_PROCESSES'
  /** Waited in the queue for a free process slot longer than `queue.timeoutMs`. */
  | 'QUEUE_TIMEOUT'
  /** The operating system refused to start the process (not found, not executable, …). */
  | 'SPAWN_FAILED'
  /** The service crashed too often in too short a time and is not restarted any more. */
  | 'CRASH_LOOP'
  /** The service or process was stopped while the operation waited. */
  | 'STOPPED'
  /** The operation was aborted through its signal. */
  | 'ABORTED'
  /** The process manager is closed. */
  | 'CLOSED';

/**
 * The error of `@mimo-mcp/process-manager`. Messages name the offending value and the rule, but never the
 * values of environment variables (they may be secrets): only their names.
 *
 * @example
 * catch (error) { if (ProcessError.isInstance(error) && error.code === 'TOO_MANY_PROCESSES') … }
 */
export class ProcessError extends MimoError<ProcessErrorCode> {
  static override readonly marker = Symbol.for('mimo.error.ProcessError');
  override readonly name = 'ProcessError';
}
