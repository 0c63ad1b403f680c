// The device's staff PIN (demo/shared/staffPin.ts): wrong guesses lock it for a minute, each further lockout for twice
// as long (up to an hour), and a reload (a new StaffPin over the same storage) does not grant fresh guesses.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StaffPin } from '../../demo/shared/staffPin';

class MemoryStorage {
  private items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

describe('StaffPin', () => {
  beforeEach(() => {
    (globalThis as { localStorage?: unknown }).localStorage = new MemoryStorage();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('accepts the PIN that was set and refuses another', async () => {
    const pin = new StaffPin();
    expect(pin.isSet).toBe(false);
    await expect(pin.set('123')).rejects.toThrow(/at least 6 digits/);
    await pin.set('246810');
    expect(pin.isSet).toBe(true);
    await expect(pin.set('999999')).rejects.toThrow(/already set/);
    expect(await pin.check('246810')).toBe(true);
    expect(await pin.check('000000')).toBe(false);
  });

  it('locks for a minute after 5 wrong guesses, also for a new page (reload), then lets the PIN in', async () => {
    await new StaffPin().set('246810');
    const t0 = 1_000_000;
    const first = new StaffPin();
    for (let i = 0; i < 4; i++) expect(await first.check('000000', t0)).toBe(false);
    // The fifth guess comes from a reloaded page: the count carries over, and it locks.
    expect(await new StaffPin().check('000000', t0)).toBe(false);
    const reloaded = new StaffPin();
    await expect(reloaded.check('246810', t0 + 1_000)).rejects.toThrow(/try again in 59 s/);
    await expect(reloaded.check('246810', t0 + 59_000)).rejects.toThrow(/try again in 1 s/);
    expect(await reloaded.check('246810', t0 + 60_000)).toBe(true);
    // A right PIN resets the count: four more wrong ones do not lock.
    for (let i = 0; i < 4; i++) expect(await reloaded.check('000000', t0 + 61_000)).toBe(false);
    expect(await reloaded.check('246810', t0 + 62_000)).toBe(true);
  });

  it('says how long guesses are refused, from the guess that starts the pause', async () => {
    const pin = new StaffPin();
    await pin.set('246810');
    const t0 = 2_000_000;
    for (let i = 0; i < 4; i++) expect(await pin.check('000000', t0)).toBe(false);
    expect(pin.pauseMessage(t0)).toBeUndefined();
    expect(await pin.check('000000', t0)).toBe(false);
    expect(pin.pauseMessage(t0)).toBe('Too many wrong PINs: try again in 1 min.');
    expect(pin.pauseMessage(t0 + 59_500)).toBe('Too many wrong PINs: try again in 1 s.');
    expect(pin.pauseMessage(t0 + 60_000)).toBeUndefined();
  });

  it('each further lockout doubles the pause, up to an hour, across reloads; the right PIN starts again from a minute', async () => {
    await new StaffPin().set('246810');
    const minute = 60_000;
    let now = 5_000_000;
    /** Five wrong guesses at `now`, the first of which must be let through (not refused as locked). */
    const lockOut = async () => {
      for (let i = 0; i < 5; i++) expect(await new StaffPin().check('000000', now)).toBe(false);
    };
    for (const pauseMinutes of [1, 2, 4, 8, 16, 32, 60, 60]) {
      await lockOut();
      const reloaded = new StaffPin();
      await expect(reloaded.check('246810', now + pauseMinutes * minute - 1_000)).rejects.toThrow(/try again in 1 s/);
      await expect(reloaded.check('246810', now + 1_000)).rejects.toThrow(
        new RegExp(`try again in ${pauseMinutes === 1 ? '59 s' : `${pauseMinutes} min`}`),
      );
      now += pauseMinutes * minute;
    }
    expect(await new StaffPin().check('246810', now)).toBe(true);
    await lockOut();
    await expect(new StaffPin().check('246810', now + minute - 1_000)).rejects.toThrow(/try again in 1 s/);
    expect(await new StaffPin().check('246810', now + minute)).toBe(true);
  }, 30_000);

  it('an empty PIN (Enter in the empty field) is refused as nothing typed, not counted as a wrong guess', async () => {
    await new StaffPin().set('246810');
    const t0 = 3_000_000;
    for (let i = 0; i < 10; i++) await expect(new StaffPin().check('', t0)).rejects.toThrow('Type the PIN first.');
    // Four wrong guesses after them do not lock: the right PIN still gets in.
    for (let i = 0; i < 4; i++) expect(await new StaffPin().check('000000', t0)).toBe(false);
    expect(await new StaffPin().check('246810', t0)).toBe(true);
  });

  it('guesses sent at once are counted before the slow key derivation: no more than 5 are tried', async () => {
    await new StaffPin().set('246810');
    const pin = new StaffPin();
    const guesses = Array.from({ length: 8 }, (_, i) =>
      pin.check(`00000${i}`, 2_000_000).then(
        (ok) => (ok ? 'right' : 'wrong'),
        () => 'locked',
      ),
    );
    const outcomes = await Promise.all(guesses);
    expect(outcomes.filter((o) => o === 'wrong')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'locked')).toHaveLength(3);
  });

  it('on a page without WebCrypto (plain HTTP at a LAN address) it says the PIN needs a secure page', async () => {
    await new StaffPin().set('246810');
    vi.stubGlobal('crypto', { getRandomValues: crypto.getRandomValues.bind(crypto) }); // no crypto.subtle
    const needsHttps = /needs a secure page: open this app over HTTPS \(or at localhost\)/;
    expect(() => StaffPin.validateNew('135790')).toThrow(needsHttps);
    await expect(new StaffPin().check('246810')).rejects.toThrow(needsHttps);
    localStorage.removeItem('localface-kiosk-staff-pin');
    await expect(new StaffPin().set('135790')).rejects.toThrow(needsHttps);
  });
});
