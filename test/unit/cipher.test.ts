import { describe, expect, it } from 'vitest';
import { RecordCipher } from '../../src/collections/store/cipher';
import { deriveKey } from '../../src/collections/passphraseKey';
import type { FaceRecord, SearchBlockRecord } from '../../src/collections/store/schema';

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

  it('a database made before the binding keeps opening its records; removing the flag opens no bound record', async () => {
    const option = { key: await key() };
    const { cipher, record } = await RecordCipher.create(option);
    const sealed = await cipher.sealFace(face('colin'));
    const { bindsIds: _, ...older } = record;
    const unbound = await RecordCipher.unlock(older, option, 'db');
    // An older database's face, sealed without its personId, opens under whatever id it has (as before).
    const olderFace = await unbound.sealFace(face('colin'));
    expect((await unbound.openFace({ ...olderFace, personId: 'serena' })).vectors).toHaveLength(1);
    // A bound record does not open once the flag is removed: an error, not another person's template.
    await expect(unbound.openFace(sealed)).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
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
    const iterations = 1000;
    const { record: made } = await RecordCipher.create({ key: await deriveKey(decomposed, salt, iterations) });
    const older = { ...made, kdf: 'PBKDF2-SHA-256' as const, salt, iterations };
    for (const typed of [decomposed, composed])
      await expect(RecordCipher.unlock(older, { passphrase: typed }, 'db')).resolves.toBeInstanceOf(RecordCipher);
    await expect(RecordCipher.unlock(older, { passphrase: 'cafe' }, 'db')).rejects.toMatchObject({
      code: 'ERR_ENCRYPTION_KEY_INVALID',
    });
  });
});
