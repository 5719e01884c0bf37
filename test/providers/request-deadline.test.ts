import { describe, expect, it } from 'vitest';
import { startRequestDeadline } from '../../src/providers/request-deadline.js';

describe('startRequestDeadline', () => {
  it('follows the caller: a caller abort aborts the call with the same reason, and is not an expiry', () => {
    const caller = new AbortController();
    const deadline = startRequestDeadline(caller.signal, 60_000);
    caller.abort(new Error('client went away'));
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('client went away');
    expect(deadline.expired()).toBe(false);
    deadline.dispose();
  });

  it('fires on its own after the timeout, as a TimeoutError', async () => {
    const deadline = startRequestDeadline(new AbortController().signal, 5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(deadline.expired()).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('dispose() clears the timer and detaches: nothing fires afterwards, and the call is not aborted', async () => {
    const caller = new AbortController();
    const deadline = startRequestDeadline(caller.signal, 5);
    deadline.dispose();
    caller.abort();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.expired()).toBe(false);
    deadline.abort();
    expect(deadline.signal.aborted).toBe(true);
  });
});
