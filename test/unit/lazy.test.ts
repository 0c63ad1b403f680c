import { describe, expect, it } from 'vitest';
import { Lazy } from '../../src/vocabulary';

describe('Lazy', () => {
  it('makes its value once, on first use', async () => {
    let made = 0;
    const lazy = new Lazy(async () => ++made);
    expect(made).toBe(0);
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    expect([a, b, await lazy.get(), made]).toEqual([1, 1, 1, 1]);
  });

  it('makes it again after a failure, and keeps it once made', async () => {
    let attempts = 0;
    const lazy = new Lazy(async () => {
      if (++attempts === 1) throw new Error('offline');
      return attempts;
    });
    await expect(lazy.get()).rejects.toThrow('offline');
    expect(await lazy.get()).toBe(2);
    expect(await lazy.get()).toBe(2);
    expect(attempts).toBe(2);
  });

  it('disposes a value made, one still being made once it is, and nothing when none was asked for', async () => {
    const disposed: string[] = [];
    const model = (name: string) => ({ name, dispose: () => disposed.push(name) });
    const unused = new Lazy(async () => model('unused'));
    unused.dispose();
    const made = new Lazy(async () => model('made'));
    await made.get();
    made.dispose();
    let finish!: () => void;
    const slow = new Lazy(
      () => new Promise<ReturnType<typeof model>>((resolve) => (finish = () => resolve(model('slow')))),
    );
    void slow.get();
    slow.dispose();
    expect(disposed).toEqual([]); // disposal waits for the value (a microtask for `made`)
    finish();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(disposed.sort()).toEqual(['made', 'slow']);
    // A value whose making failed has nothing to dispose.
    const failed = new Lazy<{ dispose(): void }>(() => Promise.reject(new Error('offline')));
    await failed.get().catch(() => undefined);
    expect(() => failed.dispose()).not.toThrow();
  });
});
