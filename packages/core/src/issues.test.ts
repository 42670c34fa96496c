import { describe, expect, it } from 'vitest';
import { formatIssue, formatIssues } from './issues.js';

describe('formatIssues', () => {
  it('should write path: message pairs, naming the root when the path is empty', () => {
    const error = {
      issues: [
        { path: [], message: 'Expected object' },
        { path: ['skills', 0, 'command'], message: 'Required' },
      ],
    };
    expect(formatIssues(error)).toBe('(root): Expected object; skills.0.command: Required');
    expect(formatIssues(error, { root: '(options)' })).toBe(
      '(options): Expected object; skills.0.command: Required',
    );
  });

  it('should keep the first max issues only', () => {
    const error = {
      issues: Array.from({ length: 9 }, (_, index) => ({ path: [`f${index}`], message: 'bad' })),
    };
    expect(formatIssues(error).split('; ')).toHaveLength(5);
    expect(formatIssues(error, { max: 8 }).split('; ')).toHaveLength(8);
  });

  it('should format one issue alone', () => {
    expect(formatIssue({ path: ['a', 'b'], message: 'Too big' })).toBe('a.b: Too big');
    expect(formatIssue({ path: [], message: 'Too big' }, '(arguments)')).toBe('(arguments): Too big');
  });
});
