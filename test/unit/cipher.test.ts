import { describe, expect, it } from 'vitest';
import { RecordCipher } from '../../src/collections/store/cipher';
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
