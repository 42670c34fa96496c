/** The second argument of every Mimo error: the underlying failure and the facts a caller needs. */
export interface MimoErrorOptions {
  /** The failure this error wraps (a SQLite error, an abort reason…). */
  cause?: unknown;
  /** Facts a caller can act on: limits, ids, the offending option. */
  data?: Record<string, unknown>;
}

/**
 * The base of every Mimo package's error: a string `code` from the package's own union, optional `data`
 * and `cause`, and a `static isInstance()` that works across duplicate installs, where `instanceof` fails.
 *
 * A package's error extends it in a few lines: its own `name`, its own code union, and its own `marker`,
 * `Symbol.for('mimo.error.<Name>')` (a registered symbol, so every copy of the package shares it). The
 * constructor marks the instance with the marker of every class in its chain, so `MimoError.isInstance`
 * is true for any of them and `ProcessError.isInstance` only for a `ProcessError`.
 *
 * @example
 * export class ProcessError extends MimoError<ProcessErrorCode> {
 *   static override readonly marker = Symbol.for('mimo.error.ProcessError');
 *   override readonly name = 'ProcessError';
 * }
 * if (ProcessError.isInstance(error) && error.code === 'CRASH_LOOP') …
 */
export class MimoError<Code extends string = string> extends Error {
  /** The cross-install marker of this class; each subclass declares its own. */
  static readonly marker: symbol = Symbol.for('mimo.error.MimoError');

  override readonly name: string = 'MimoError';
  readonly code: Code;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: Code, message: string, options?: MimoErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options?.data;
    for (
      let type: object | null = new.target;
      type !== null && type !== Error;
      type = Object.getPrototypeOf(type)
    ) {
      if (Object.hasOwn(type, 'marker')) {
        Object.defineProperty(this, (type as typeof MimoError).marker, { value: true });
      }
    }
  }

  /** True for an instance of this class (or a subclass) from any copy of its package. */
  static isInstance<T>(this: { readonly marker: symbol; readonly prototype: T }, value: unknown): value is T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass it is called on, whose marker it checks.
    return typeof value === 'object' && value !== null && this.marker in value;
  }
}
