// The device's staff PIN, one for both demos (same origin, same localStorage): at the kiosk the enrolled people
// (names, Delete buttons) are shown only after it is entered, so a passer-by can neither read who is enrolled nor
// delete anyone; at the check-in page enrolling and exporting or clearing the log need it. Nobody can enroll before
// the PIN is set, so a stranger cannot set the first PIN on a device that holds the people it enrolled. The PIN is
// kept on this device as a salted PBKDF2 hash (localStorage); after 5 wrong guesses every guess is refused for a
// minute, then for twice as long after each further 5 (up to an hour), across reloads, until the right PIN is entered.
// A short PIN only stops people at the screen, not someone with the device's storage in hand; the browser profile is
// the real boundary.

/** The kiosk's key from before the check-in page shared the PIN: kept, so a device keeps the PIN it has. */
const KEY = 'localface-kiosk-staff-pin';
/** Wrong guesses and the pause, kept beside the PIN so that reloading the page does not grant fresh guesses. */
const ATTEMPTS_KEY = 'localface-kiosk-staff-pin-attempts';
const ITERATIONS = 200_000;
export const MIN_PIN_LENGTH = 6;
/** Wrong guesses allowed before a pause, and the first pause: each further pause is twice the one before. */
const MAX_ATTEMPTS = 5;
const LOCKOUT_MS = 60_000;
/** The longest pause: guessing stays slow (five guesses an hour, 120 a day, at most), while staff are never locked out for days. */
const MAX_LOCKOUT_MS = 60 * 60_000;

interface StoredPin {
  salt: string;
  hash: string;
  iterations: number;
}

interface Attempts {
  /** Wrong guesses since the last pause (or the last right PIN). */
  failures: number;
  lockedUntil: number;
  /** Pauses since the last right PIN: the next pause is LOCKOUT_MS × 2^lockouts. */
  lockouts: number;
}

function readAttempts(): Attempts {
  try {
    const a = JSON.parse(localStorage.getItem(ATTEMPTS_KEY) ?? 'null') as Partial<Attempts> | null;
    const count = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
    return { failures: count(a?.failures), lockedUntil: count(a?.lockedUntil), lockouts: count(a?.lockouts) };
  } catch {
    return { failures: 0, lockedUntil: 0, lockouts: 0 };
  }
}

/** "59 s" under a minute, else whole minutes ("2 min"), rounded up. */
function waitText(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

async function derive(pin: string, salt: Uint8Array, iterations: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  return hex(
    await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations },
      key,
      256,
    ),
  );
}

/** The PIN's hash needs WebCrypto, which browsers give only to secure pages (not plain HTTP at a LAN address). */
function requireWebCrypto(): void {
  if (!globalThis.crypto?.subtle)
    throw new Error('The staff PIN needs a secure page: open this app over HTTPS (or at localhost).');
}

export class StaffPin {
  get isSet(): boolean {
    return localStorage.getItem(KEY) !== null;
  }

  /** Throws the reason a new PIN is refused (too short, not digits, or no WebCrypto to keep it). */
  static validateNew(pin: string): void {
    requireWebCrypto();
    if (!new RegExp(`^\\d{${MIN_PIN_LENGTH},}$`).test(pin))
      throw new Error(`The PIN must be at least ${MIN_PIN_LENGTH} digits.`);
  }

  /** Sets the first PIN; refuses once one exists (changing it needs the old one: clear the site's data to reset). */
  async set(pin: string): Promise<void> {
    requireWebCrypto();
    if (this.isSet) throw new Error('A staff PIN is already set.');
    StaffPin.validateNew(pin);
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const stored: StoredPin = { salt: hex(salt), hash: await derive(pin, salt, ITERATIONS), iterations: ITERATIONS };
    localStorage.setItem(KEY, JSON.stringify(stored));
  }

  /** Why guesses are refused at `now` ("Too many wrong PINs: try again in 58 s."), or undefined when they are not. */
  pauseMessage(now = Date.now()): string | undefined {
    const { lockedUntil } = readAttempts();
    return now < lockedUntil ? `Too many wrong PINs: try again in ${waitText(lockedUntil - now)}.` : undefined;
  }

  /**
   * True if `pin` is the staff PIN. After MAX_ATTEMPTS wrong ones every guess is refused for a minute, after the next
   * MAX_ATTEMPTS for two, then four, and so on up to MAX_LOCKOUT_MS; the right PIN starts again from a minute. An
   * empty `pin` is refused without counting as a guess.
   */
  async check(pin: string, now = Date.now()): Promise<boolean> {
    requireWebCrypto();
    const paused = this.pauseMessage(now);
    if (paused) throw new Error(paused);
    const attempts = readAttempts();
    // Nothing typed (Enter in the empty field) is no guess: it does not count toward the pause.
    if (pin === '') throw new Error('Type the PIN first.');
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as StoredPin | null;
    if (!stored) return false;
    // Counted as wrong before the slow derive, so guesses sent at once cannot all pass the check above; a right one
    // clears the count.
    if (++attempts.failures >= MAX_ATTEMPTS) {
      const pause = Math.min(LOCKOUT_MS * 2 ** attempts.lockouts, MAX_LOCKOUT_MS);
      Object.assign(attempts, { failures: 0, lockedUntil: now + pause, lockouts: attempts.lockouts + 1 });
    }
    localStorage.setItem(ATTEMPTS_KEY, JSON.stringify(attempts));
    const ok = (await derive(pin, fromHex(stored.salt), stored.iterations)) === stored.hash;
    if (ok) localStorage.setItem(ATTEMPTS_KEY, JSON.stringify({ failures: 0, lockedUntil: 0, lockouts: 0 }));
    return ok;
  }
}
