import { FaceError } from '../errors';

/**
 * Keys from passphrases, one rule for export files and databases encrypted at rest: PBKDF2-SHA-256 to an AES-GCM-256
 * key, the passphrase's NFC form for new keys.
 */

type Bytes = Uint8Array<ArrayBuffer>;

/** PBKDF2-SHA-256 iterations of new exports and databases (OWASP's 2023 figure). */
export const PBKDF2_ITERATIONS = 600_000;
/** Fewer are refused in a file or database (earlier versions wrote 310,000); more than the maximum would stall it. */
const MIN_READ_ITERATIONS = 310_000;
const MAX_READ_ITERATIONS = 2_000_000;

/** Whether an iteration count read from a file or a database is one LocalFace writes or wrote. */
export function passphraseIterationsInRange(iterations: number): boolean {
  return Number.isInteger(iterations) && iterations >= MIN_READ_ITERATIONS && iterations <= MAX_READ_ITERATIONS;
}

/** The key of new exports and databases: from the passphrase's NFC form (see withPassphraseKey). */
export function newPassphraseKey(passphrase: string, salt: Bytes): Promise<CryptoKey> {
  return deriveKey(passphrase.normalize('NFC'), salt, PBKDF2_ITERATIONS);
}

/**
 * `attempt` with the key of each form of the passphrase in turn, until one is not refused as a wrong key
 * (ERR_ENCRYPTION_KEY_INVALID; the last form's error is thrown). The same word typed on two systems can reach us as
 * different code points (é as one, or as e + a combining accent): keys are made from its NFC form, and files and
 * databases made before that were made from the string as typed, which the other forms still open.
 */
export async function withPassphraseKey<T>(
  passphrase: string,
  salt: Bytes,
  iterations: number,
  attempt: (key: CryptoKey) => Promise<T>,
): Promise<T> {
  const [first, ...others] = new Set([passphrase.normalize('NFC'), passphrase, passphrase.normalize('NFD')]);
  let result = attempt(await deriveKey(first!, salt, iterations));
  for (const form of others)
    result = result.catch(async (error: unknown) => {
      if (!(error instanceof FaceError && error.code === 'ERR_ENCRYPTION_KEY_INVALID')) throw error;
      return attempt(await deriveKey(form, salt, iterations));
    });
  return result;
}

/** The AES-GCM key of a passphrase (PBKDF2-SHA-256): exports and databases encrypted at rest use the same rule. */
export async function deriveKey(passphrase: string, salt: Bytes, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    'raw',
    new Uint8Array(new TextEncoder().encode(passphrase)),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}
