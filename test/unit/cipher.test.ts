import { describe, expect, it } from 'vitest';
import { RecordCipher } from '../../src/collections/store/cipher';
import { deriveKey } from '../../src/collections/passphraseKey';
import type { FaceRecord, PersonRecord, SearchBlockRecord } from '../../src/collections/store/schema';

const face = (personId: string): FaceRecord => ({
  collection: 'staff',
  faceId: 'f1',
  personId,
  createTime: 1,
  models: ['m'],
  vectors: [Float32Array.from([0.6, 0.8])],
  block: 0,
  image: 'none',
});

const block = (personIds: string[]): SearchBlockRecord => ({
  collection: 'staff',
  blockId: 0,
  faceIds: ['f1', 'f2'],
  personIds,
  data: Float32Array.from([0.6, 0.8, 1, 0]),
});

const key = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

describe('encryption at rest binds ids', () => {
  it("a face's personId and a block's ids changed on disk do not open (a new database binds them)", async () => {
    const option = { key: await key() };
    const { cipher, record } = await RecordCipher.create(option);
    expect(record.bindsIds).toBe(true);
    const sealedFace = await cipher.sealFace(face('colin'));
    expect((await cipher.openFace(sealedFace)).vectors).toEqual([Float32Array.from([0.6, 0.8])]);
    await expect(cipher.openFace({ ...sealedFace, personId: 'serena' })).rejects.toMatchObject({
      code: 'ERR_INTERNAL',
    });
    const sealedBlock = await cipher.sealBlock(block(['colin', 'serena']));
    expect((await cipher.openBlock(sealedBlock)).data).toEqual(Float32Array.from([0.6, 0.8, 1, 0]));
    await expect(cipher.openBlock({ ...sealedBlock, personIds: ['serena', 'colin'] })).rejects.toMatchObject({
      code: 'ERR_INTERNAL',
    });
    await expect(cipher.openBlock({ ...sealedBlock, faceIds: ['f2', 'f1'] })).rejects.toMatchObject({
      code: 'ERR_INTERNAL',
    });
    // The same records through a cipher unlocked from the stored record (a later session) still open.
    const again = await RecordCipher.unlock(record, option, 'db');
    expect((await again.openFace(sealedFace)).personId).toBe('colin');
  });

  it('removing the flag on disk does not unbind a database: swapped ids still fail to open', async () => {
    const option = { key: await key() };
    const { cipher, record } = await RecordCipher.create(option);
    const sealed = await cipher.sealFace(face('colin'));
    const { bindsIds: _, ...stripped } = record;
    const reopened = await RecordCipher.unlock(stripped, option, 'db');
    expect(reopened.keyCheckOutdated).toBe(false);
    expect((await reopened.openFace(sealed)).personId).toBe('colin');
    await expect(reopened.openFace({ ...sealed, personId: 'serena' })).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    // And what it writes from then on is bound too.
    const written = await reopened.sealFace(face('colin'));
    await expect(reopened.openFace({ ...written, personId: 'serena' })).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
  });

  it('a database made before the binding keeps opening its records; one bound by an earlier version is told to rewrite its check', async () => {
    const aes = await key();
    const option = { key: aes };
    // The key check earlier versions wrote: its additional data says nothing of the binding.
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(JSON.stringify(['meta', 'encryption'])) },
        aes,
        new TextEncoder().encode('LocalFace encryption key check v1'),
      ),
    );
    const oldCheck = new Uint8Array(12 + ct.length);
    oldCheck.set(iv);
    oldCheck.set(ct, 12);
    const unbound = await RecordCipher.unlock({ id: 'encryption', kdf: 'key', check: oldCheck }, option, 'db');
    expect(unbound.keyCheckOutdated).toBe(false);
    // An older database's face, sealed without its personId, opens under whatever id it has (as before).
    const olderFace = await unbound.sealFace(face('colin'));
    expect((await unbound.openFace({ ...olderFace, personId: 'serena' })).vectors).toHaveLength(1);
    // Bound, with the earlier check: bound, and the check is to be rewritten so that the flag cannot be removed.
    const bound = await RecordCipher.unlock(
      { id: 'encryption', kdf: 'key', check: oldCheck, bindsIds: true },
      option,
      'db',
    );
    expect(bound.keyCheckOutdated).toBe(true);
    const boundFace = await bound.sealFace(face('colin'));
    await expect(bound.openFace({ ...boundFace, personId: 'serena' })).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    const rewritten = await RecordCipher.unlock(
      { id: 'encryption', kdf: 'key', check: await bound.boundKeyCheck() },
      option,
      'db',
    );
    expect((await rewritten.openFace(boundFace)).personId).toBe('colin');
  });

  it('an iteration count no LocalFace writes, read from disk, is refused before any key is derived', async () => {
    const { record } = await RecordCipher.create({ passphrase: 'p' });
    for (const iterations of [1000, 2 ** 31])
      await expect(RecordCipher.unlock({ ...record, iterations }, { passphrase: 'p' }, 'db')).rejects.toMatchObject({
        code: 'ERR_INTERNAL',
        message: expect.stringContaining('altered on disk'),
      });
  });
});

describe('passphrases in either Unicode form', () => {
  const composed = 'caf\u00e9'; // é as one code point
  const decomposed = composed.normalize('NFD'); // e + a combining accent

  it('a database made with one form opens with the other', async () => {
    for (const [made, typed] of [
      [composed, decomposed],
      [decomposed, composed],
    ] as const) {
      const { cipher, record } = await RecordCipher.create({ passphrase: made });
      const sealed = await cipher.sealFace(face('colin'));
      const again = await RecordCipher.unlock(record, { passphrase: typed }, 'db');
      expect((await again.openFace(sealed)).personId).toBe('colin');
    }
  });

  it('a database whose key was made from the passphrase as typed still opens, and a wrong one does not', async () => {
    // Databases made before keys came from the NFC form: the key of the decomposed string itself.
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const iterations = 310_000; // what earlier versions wrote
    const { record: made } = await RecordCipher.create({ key: await deriveKey(decomposed, salt, iterations) });
    const older = { ...made, kdf: 'PBKDF2-SHA-256' as const, salt, iterations };
    for (const typed of [decomposed, composed])
      await expect(RecordCipher.unlock(older, { passphrase: typed }, 'db')).resolves.toBeInstanceOf(RecordCipher);
    await expect(RecordCipher.unlock(older, { passphrase: 'cafe' }, 'db')).rejects.toMatchObject({
      code: 'ERR_ENCRYPTION_KEY_INVALID',
    });
  });
});

it("a person's sealed name and metadata moved to another person's record do not open (no one gets another's name)", async () => {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const { cipher } = await RecordCipher.create({ key });
  const person = (personId: string, personName: string): PersonRecord =>
    ({
      collection: 'staff',
      personId,
      personName,
      metadata: { badge: personId },
      createdAt: 1,
      updatedAt: 1,
      faceCount: 1,
    }) as PersonRecord;
  const colin = await cipher.sealPerson(person('colin', 'Colin'));
  const serena = await cipher.sealPerson(person('serena', 'Serena'));
  expect((await cipher.openPerson(colin)).personName).toBe('Colin');
  await expect(cipher.openPerson({ ...serena, sealed: colin.sealed })).rejects.toMatchObject({
    code: 'ERR_INTERNAL',
    // named as a person reads it, not by the store's key
    message: expect.stringContaining('The stored person "serena" in collection "staff" does not decrypt'),
  });
  await expect(cipher.openPerson({ ...colin, collection: 'guests' })).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
});
