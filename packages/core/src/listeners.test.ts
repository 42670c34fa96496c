import { describe, expect, it } from 'vitest';
import { Listeners } from './listeners.js';

type Events = { 'job-done': { durationMs: number }; 'job-failed': { error: unknown } };

describe('Listeners', () => {
  it('should call the listeners of an event in the order they were added', () => {
    const events = new Listeners<Events>();
    const calls: string[] = [];
    events.on('job-done', ({ durationMs }) => calls.push(`first ${durationMs}`));
    events.on('job-done', ({ durationMs }) => calls.push(`second ${durationMs}`));
    events.on('job-failed', () => calls.push('failed'));
    events.emit('job-done', { durationMs: 12 });
    expect(calls).toEqual(['first 12', 'second 12']);
  });

  it('should stop calling a listener once its handle is disposed, with dispose() or using', () => {
    const events = new Listeners<Events>();
    const calls: number[] = [];
    const subscription = events.on('job-done', ({ durationMs }) => calls.push(durationMs));
    {
      using _scoped = events.on('job-done', () => calls.push(-1));
      events.emit('job-done', { durationMs: 1 });
    }
    subscription.dispose();
    subscription.dispose();
    events.emit('job-done', { durationMs: 2 });
    expect(calls).toEqual([1, -1]);
    expect(events.listenerCount()).toBe(0);
  });

  it('should keep calling the other listeners when one throws, and never throw from emit', () => {
    const events = new Listeners<Events>();
    const calls: string[] = [];
    events.on('job-done', () => {
      throw new Error('observer bug');
    });
    events.on('job-done', () => calls.push('after'));
    expect(() => events.emit('job-done', { durationMs: 0 })).not.toThrow();
    expect(calls).toEqual(['after']);
  });

  it('should count listeners per event and in total', () => {
    const events = new Listeners<Events>();
    events.on('job-done', () => {});
    events.on('job-done', () => {});
    events.on('job-failed', () => {});
    expect(events.listenerCount('job-done')).toBe(2);
    expect(events.listenerCount('job-failed')).toBe(1);
    expect(events.listenerCount()).toBe(3);
  });

  it('should not call a listener added while an event is being emitted until the next emit', () => {
    const events = new Listeners<Events>();
    const calls: string[] = [];
    events.on('job-done', () => {
      calls.push('outer');
      events.on('job-done', () => calls.push('inner'));
    });
    events.emit('job-done', { durationMs: 0 });
    expect(calls).toEqual(['outer']);
  });
});
