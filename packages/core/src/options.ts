/** The keys an options type accepts, listed once: `satisfies` keeps the list and the type in step. */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/** A package error class that can report an invalid argument (every Mimo error class can). */
export type InvalidArgumentError = new (
  code: 'INVALID_ARGUMENT',
  message: string,
  options: { data: Record<string, unknown> },
) => Error;

/**
 * Throws `INVALID_ARGUMENT` (as the package's own `ErrorClass`) for the first key of `options` that `known`
 * does not list, naming it, the closest known key when one is a likely misspelling, and every accepted key;
 * `data` holds that key (`option`) and every unknown one (`unknown`). A misspelt option would otherwise be
 * ignored in silence and its default used (`tokenz: [...]` would leave a server open).
 *
 * @example
 * const KEYS = { timeoutMs: true, signal: true } satisfies OptionKeys<CallOptions>;
 * rejectUnknownOptions('callTool', options, KEYS, ClientError);
 * // ClientError INVALID_ARGUMENT: callTool: unknown option "timeoutMS" (did you mean "timeoutMs"?); accepted options: timeoutMs, signal
 */
export function rejectUnknownOptions(
  factory: string,
  options: object,
  known: object,
  ErrorClass: InvalidArgumentError,
): void {
  const accepted = Object.keys(known);
  const unknown = Object.keys(options).filter((key) => !accepted.includes(key));
  const key = unknown[0];
  if (key === undefined) return;
  const guess = closest(key, accepted);
  throw new ErrorClass(
    'INVALID_ARGUMENT',
    `${factory}: unknown option ${JSON.stringify(key)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}; accepted options: ${accepted.join(', ')}`,
    { data: { option: key, unknown } },
  );
}

/** The accepted key nearest to `key` (case-insensitive edit distance ≤ 2), if any. */
function closest(key: string, accepted: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of accepted) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
