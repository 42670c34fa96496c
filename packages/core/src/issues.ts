/** One validation problem, as zod (and most schema libraries) report it: where, and what is wrong. */
export interface Issue {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
}

/** What a failed validation carries: zod's `ZodError` fits, without core depending on zod. */
export interface IssueList {
  readonly issues: ReadonlyArray<Issue>;
}

/**
 * One issue as `path: message`, the path dotted (`skills.0.command`) or `root` for the value itself.
 *
 * @example
 * formatIssue({ path: ['limits', 'maxBytes'], message: 'Too small' }); // 'limits.maxBytes: Too small'
 */
export function formatIssue(issue: Issue, root = '(root)'): string {
  return `${issue.path.length > 0 ? issue.path.join('.') : root}: ${issue.message}`;
}

/**
 * The first `max` issues as `path: message; path: message`, capped so a huge payload cannot bloat an error
 * message. Mimo writes its own line rather than zod's `prettifyError`: one line, naming the path first,
 * which is what its error messages and tests have always read.
 *
 * @default root '(root)'
 * @default max 5
 * @example
 * if (!parsed.success) throw new ProcessError('INVALID_ARGUMENT', `Invalid options: ${formatIssues(parsed.error, { root: '(options)' })}`);
 */
export function formatIssues(error: IssueList, options: { root?: string; max?: number } = {}): string {
  return error.issues
    .slice(0, options.max ?? 5)
    .map((issue) => formatIssue(issue, options.root))
    .join('; ');
}
