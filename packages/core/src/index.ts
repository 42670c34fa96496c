export { isRecord } from './is-record.js';
export { formatIssue, formatIssues, type Issue, type IssueList } from './issues.js';
export { type Disposable, Listeners } from './listeners.js';
export { MimoError, type MimoErrorOptions } from './mimo-error.js';
export { type InvalidArgumentError, type OptionKeys, rejectUnknownOptions } from './options.js';
