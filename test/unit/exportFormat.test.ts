import { describe, expect, it, vi } from 'vitest';
import { ExportWriter, readExport, type ExportedPerson } from '../../src/collections/exportFormat';
import { FaceError } from '../../src/errors';

const models = ['embedder-a@1', 'embedder-b@2'];
const dims = [4, 3];

/**
 * A minimal well-formed JPEG as LocalFace writes them: SOI, JFIF APP0, a frame header (SOF0), start of scan and its
 * data (with a stuffed 0xFF00 and a restart marker), EOI.
 */
const JFIF_APP0 = [0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
const SOF0 = [0xff, 0xc0, 0, 11, 8, 0, 16, 0, 16, 1, 1, 0x11, 0];
const SCAN = [0xff, 0xda, 0, 2, 1, 2, 0xff, 0, 3, 0xff, 0xd0, 4];
const EOI = [0xff, 0xd9];
const JPEG = [0xff, 0xd8, ...JFIF_APP0, ...SOF0, ...SCAN, ...EOI];

/** A unit-length vector, as every embedder returns. */
function vector(seed: number, d: number): Float32Array {
  const v = Float32Array.from({ length: d }, (_, i) => Math.sin(seed * 7 + i));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function persons(): ExportedPerson[] {
  return [
    {
      personId: 'ada',
      personName: 'Ada',
      metadata: { team: 'x', n: 1 },
      createdAt: 1000,
      updatedAt: 2000,
      faces: [
        {
          faceId: 'face-one',
          createTime: 1500,
          vectors: [vector(1, 4), vector(2, 3)],
          image: {
            kind: 'thumbnail',
            blob: new Blob([new Uint8Array(JPEG)], { type: 'image/jpeg' }),
          },
        },
        { faceId: 'face-two', createTime: 1600, vectors: [vector(3, 4), vector(4, 3)] },
      ],
    },
    { personId: 'bob', personName: 'Bob', metadata: {}, createdAt: 3000, updatedAt: 3000, faces: [] },
  ];
}

async function exportOf(passphrase?: string): Promise<Blob> {
  const w = await ExportWriter.create(models, dims, passphrase);
  const ps = persons();
  await w.collection({ name: 'staff', createdAt: 42, personCount: ps.length, faceCount: 2, includeImages: true });
  for (const p of ps) await w.person(p);
  return w.finish({ persons: 2, faces: 2, images: 1 });
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof FaceError ? e.code : `not a FaceError: ${String(e)}`;
  }
  return 'resolved';
}

async function bytesOf(blob: Blob): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await blob.arrayBuffer());
}

const sha = async (b: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>));

/** The export `bytes` with its header JSON changed by `edit` and every checksum made right again (they are not keyed). */
async function withHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => object): Promise<Blob> {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as Record<string, unknown>;
  const newHeader = new TextEncoder().encode(JSON.stringify(edit(header)));
  const headerSum = await sha(newHeader);
  const records = bytes.subarray(12 + headerLength + 32, bytes.length - 32);
  const sums: number[] = [...headerSum];
  for (let at = 0; at < records.length;) {
    const length = new DataView(records.buffer, records.byteOffset + at + 1, 4).getUint32(0, true);
    sums.push(...records.subarray(at + 5 + length, at + 37 + length));
    at += 37 + length;
  }
  const lengthBytes = new Uint8Array(4);
  new DataView(lengthBytes.buffer).setUint32(0, newHeader.length, true);
  return new Blob(
    [bytes.subarray(0, 8), lengthBytes, newHeader, headerSum, records, await sha(new Uint8Array(sums))].map(
      (part) => part as Uint8Array<ArrayBuffer>,
    ),
  );
}

describe('collection export format', () => {
  for (const passphrase of [undefined, 'correct horse battery staple']) {
    it(`round-trips exactly ${passphrase ? 'encrypted' : 'in clear'}`, async () => {
      const file = await exportOf(passphrase);
      const decoded = await readExport(file, { passphrase, models, dims });
      expect(decoded.collection).toEqual({
        name: 'staff',
        createdAt: 42,
        personCount: 2,
        faceCount: 2,
        includeImages: true,
      });
      const expected = persons();
      expect(decoded.persons.map((p) => ({ ...p, faces: p.faces.map((f) => ({ ...f, image: undefined })) }))).toEqual(
        expected.map((p) => ({ ...p, faces: p.faces.map((f) => ({ ...f, image: undefined })) })),
      );
      const image = decoded.persons[0]!.faces[0]!.image!;
      expect(image.kind).toBe('thumbnail');
      expect(image.blob.type).toBe('image/jpeg');
      expect([...(await bytesOf(image.blob))]).toEqual(JPEG);
      expect(decoded.persons[0]!.faces[1]!.image).toBeUndefined();
    });
  }

  it('keeps names, metadata and templates out of an encrypted file', async () => {
    const text = new TextDecoder('latin1').decode(await bytesOf(await exportOf('pw')));
    expect(text).toContain('embedder-a@1'); // the header names the models in clear
    for (const secret of ['Ada', 'staff', 'team', 'face-one']) expect(text).not.toContain(secret);
    const raw = new Uint8Array(vector(1, 4).buffer);
    expect(text).not.toContain(new TextDecoder('latin1').decode(raw));
  });

  it('refuses every truncation and every flipped byte with ERR_INVALID_EXPORT', async () => {
    const bytes = await bytesOf(await exportOf());
    for (let n = 0; n < bytes.length; n += 7)
      expect(await code(readExport(new Blob([bytes.slice(0, n)]), { models, dims }))).toBe('ERR_INVALID_EXPORT');
    for (let i = 0; i < bytes.length; i += 3) {
      const flipped = bytes.slice();
      flipped[i]! ^= 0x10;
      const c = await code(readExport(new Blob([flipped]), { models, dims }));
      expect([i, c]).toEqual([i, 'ERR_INVALID_EXPORT']);
    }
    expect(await code(readExport(new Blob([bytes, new Uint8Array([0])]), { models, dims }))).toBe('ERR_INVALID_EXPORT');
  });

  it('refuses a flipped byte of an encrypted file as corrupt, not as a wrong passphrase', async () => {
    const bytes = await bytesOf(await exportOf('pw'));
    for (const i of [bytes.length - 40, Math.floor(bytes.length / 2), 200]) {
      const flipped = bytes.slice();
      flipped[i]! ^= 1;
      expect(await code(readExport(new Blob([flipped]), { passphrase: 'pw', models, dims }))).toBe(
        'ERR_INVALID_EXPORT',
      );
    }
  });

  it('refuses an encrypted file altered and re-summed (checksums are not keyed) as altered, with the right passphrase', async () => {
    const bytes = await bytesOf(await exportOf('pw'));
    const view = new DataView(bytes.buffer);
    // Walk to record 1 (the first person): signature, header length, header, header checksum, then records.
    let at = 8;
    at += 4 + view.getUint32(at, true) + 32;
    const headerHash = bytes.slice(8 + 4, at - 32);
    const hashes: Uint8Array[] = [];
    for (let index = 0; at < bytes.length - 32; index++) {
      const length = view.getUint32(at + 1, true);
      if (index === 1) {
        bytes[at + 5 + 20]! ^= 1; // a byte of its ciphertext
        bytes.set(await sha(bytes.subarray(at, at + 5 + length)), at + 5 + length);
      }
      hashes.push(bytes.slice(at + 5 + length, at + 5 + length + 32));
      at += 5 + length + 32;
    }
    const all = new Uint8Array([...(await sha(headerHash)), ...hashes.flatMap((h) => [...h])]);
    bytes.set(await sha(all), bytes.length - 32);
    const error = await readExport(new Blob([bytes]), { passphrase: 'pw', models, dims }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INVALID_EXPORT' });
    expect((error as Error).message).toContain('altered');
  });

  it('says a format version that is not a number is missing, not that it reads the same version', async () => {
    const file = await withHeader(await bytesOf(await exportOf()), (header) => ({ ...header, version: '1' }));
    const error = await readExport(file, { models, dims }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INVALID_EXPORT' });
    expect((error as Error).message).toContain('no numeric format version');
  });

  async function oneFaceExport(
    personName: string,
    vectors: Float32Array[],
    image?: { kind: 'thumbnail'; blob: Blob },
  ): Promise<Blob> {
    const w = await ExportWriter.create(models, dims);
    await w.collection({ name: 'one', createdAt: 1, personCount: 1, faceCount: 1, includeImages: !!image });
    await w.person({
      personId: 'p',
      personName,
      metadata: {},
      createdAt: 1,
      updatedAt: 1,
      faces: [{ faceId: 'f', createTime: 1, vectors, ...(image ? { image } : {}) }],
    });
    return w.finish({ persons: 1, faces: 1, images: image ? 1 : 0 });
  }

  it('round-trips a person with an empty name (addFace without a personId makes one)', async () => {
    const decoded = await readExport(await oneFaceExport('', [vector(1, 4), vector(2, 3)]), { models, dims });
    expect(decoded.persons[0]!.personName).toBe('');
  });

  it('refuses a template that is not unit length, though its checksums are right', async () => {
    const long = vector(1, 4).map((x) => x * 1000);
    expect(await code(readExport(await oneFaceExport('P', [long, vector(2, 3)]), { models, dims }))).toBe(
      'ERR_INVALID_EXPORT',
    );
    const zero = new Float32Array(3);
    expect(await code(readExport(await oneFaceExport('P', [vector(1, 4), zero]), { models, dims }))).toBe(
      'ERR_INVALID_EXPORT',
    );
  });

  it('refuses image bytes that are not a JPEG, and drops the metadata segments (EXIF) of one', async () => {
    const image = (bytes: number[], type: string) => ({
      kind: 'thumbnail' as const,
      blob: new Blob([new Uint8Array(bytes)], { type }),
    });
    const vs = [vector(1, 4), vector(2, 3)];
    const read = async (bytes: number[], type = 'image/jpeg') =>
      readExport(await oneFaceExport('P', vs, image(bytes, type)), { models, dims });
    expect(await code(read([60, 115, 118, 103]))).toBe('ERR_INVALID_EXPORT');
    expect(await code(read(JPEG, 'text/html'))).toBe('ERR_INVALID_EXPORT');
    expect(await code(read([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0], 'image/png'))).toBe(
      'ERR_INVALID_EXPORT',
    );
    expect(await code(read([0xff, 0xd8, 0xff, 0xe1, 0, 200, 1]))).toBe('ERR_INVALID_EXPORT'); // a segment cut short
    // EXIF (APP1), an MPF APP2 and a comment are dropped; JFIF and the ICC profile are kept, and the scan untouched.
    const exif = [0xff, 0xe1, 0, 8, 0x45, 0x78, 0x69, 0x66, 0, 0];
    const icc = [0xff, 0xe2, 0, 14, ...[...'ICC_PROFILE'].map((c) => c.charCodeAt(0)), 0];
    const mpf = [0xff, 0xe2, 0, 6, 0x4d, 0x50, 0x46, 0];
    const comment = [0xff, 0xfe, 0, 4, 0x68, 0x69];
    const decoded = await read([
      0xff,
      0xd8,
      ...JFIF_APP0,
      ...exif,
      ...icc,
      ...mpf,
      ...comment,
      ...SOF0,
      ...SCAN,
      ...EOI,
    ]);
    const blob = decoded.persons[0]!.faces[0]!.image!.blob;
    expect(blob.type).toBe('image/jpeg');
    expect([...(await bytesOf(blob))]).toEqual([0xff, 0xd8, ...JFIF_APP0, ...icc, ...SOF0, ...SCAN, ...EOI]);
    // A JFIF thumbnail (another picture could hide there) and a second JFIF segment: one bare JFIF header is kept.
    const withThumbnail = [0xff, 0xe0, 0, 22, ...JFIF_APP0.slice(4, 16), 2, 1, 1, 2, 3, 4, 5, 6];
    const cleaned = await read([0xff, 0xd8, ...withThumbnail, ...JFIF_APP0, ...SOF0, ...SCAN, ...EOI]);
    expect([...(await bytesOf(cleaned.persons[0]!.faces[0]!.image!.blob))]).toEqual([
      0xff,
      0xd8,
      ...JFIF_APP0,
      ...SOF0,
      ...SCAN,
      ...EOI,
    ]);
    // Between scans (a progressive JPEG has several) and after the end of the image: dropped too.
    const between = await read([
      0xff,
      0xd8,
      ...SOF0,
      ...SCAN,
      ...comment,
      ...exif,
      ...SCAN,
      ...EOI,
      ...exif,
      0x50,
      0x4b,
    ]);
    expect([...(await bytesOf(between.persons[0]!.faces[0]!.image!.blob))]).toEqual([
      0xff,
      0xd8,
      ...SOF0,
      ...SCAN,
      ...SCAN,
      ...EOI,
    ]);
    // No frame header before the scan, or no end of image: not a JPEG.
    expect(await code(read([0xff, 0xd8, ...JFIF_APP0, ...SCAN, ...EOI]))).toBe('ERR_INVALID_EXPORT');
    expect(await code(read([0xff, 0xd8, ...JFIF_APP0, ...SOF0, ...SCAN]))).toBe('ERR_INVALID_EXPORT');
  });

  it('tells a wrong or missing passphrase and other models apart', async () => {
    const encrypted = await exportOf('pw');
    expect(await code(readExport(encrypted, { passphrase: 'PW', models, dims }))).toBe('ERR_ENCRYPTION_KEY_INVALID');
    expect(await code(readExport(encrypted, { models, dims }))).toBe('ERR_ENCRYPTION_KEY_INVALID');
    expect(await code(readExport(await exportOf(), { passphrase: 'pw', models, dims }))).toBe('ERR_INVALID_ARGUMENT');
    expect(
      await code(readExport(encrypted, { passphrase: 'pw', models: ['embedder-a@1', 'embedder-b@3'], dims })),
    ).toBe('ERR_MODEL_MISMATCH');
    expect(await code(readExport(await exportOf(), { models, dims: [4, 4] }))).toBe('ERR_MODEL_MISMATCH');
  });

  it('opens with the passphrase typed in either Unicode form, also a file made from the form as typed', async () => {
    const composed = 'caf\u00e9 cr\u00e8me'; // é and è as one code point each, as most keyboards send them
    const decomposed = composed.normalize('NFD'); // as e + a combining accent (some systems' input and file names)
    expect(decomposed).not.toBe(composed);
    for (const [made, typed] of [
      [composed, decomposed],
      [decomposed, composed],
    ] as const) {
      const decoded = await readExport(await exportOf(made), { passphrase: typed, models, dims });
      expect(decoded.persons.map((p) => p.personId)).toEqual(['ada', 'bob']);
    }
    // Files exported before keys were made from the NFC form were made from the string as typed.
    const asTyped = vi.spyOn(String.prototype, 'normalize').mockImplementation(function (this: string) {
      return this;
    });
    const older = await exportOf(decomposed);
    asTyped.mockRestore();
    for (const typed of [decomposed, composed])
      expect((await readExport(older, { passphrase: typed, models, dims })).persons).toHaveLength(2);
    expect(await code(readExport(older, { passphrase: 'cafe creme', models, dims }))).toBe(
      'ERR_ENCRYPTION_KEY_INVALID',
    );
  });

  it('uses PBKDF2 with ≥ 600,000 iterations, a random salt and fresh IVs', async () => {
    const [a, b] = [await bytesOf(await exportOf('pw')), await bytesOf(await exportOf('pw'))];
    const headerOf = (x: Uint8Array) =>
      JSON.parse(new TextDecoder().decode(x.subarray(12, 12 + new DataView(x.buffer).getUint32(8, true)))) as {
        encryption: { iterations: number; salt: string };
      };
    expect(headerOf(a).encryption.iterations).toBeGreaterThanOrEqual(600_000);
    expect(headerOf(a).encryption.salt).not.toBe(headerOf(b).encryption.salt);
    expect(a.length).toBe(b.length);
    expect(Buffer.from(a.subarray(a.length - 200)).equals(Buffer.from(b.subarray(b.length - 200)))).toBe(false);
  });

  it('round-trips a file larger than the writer folds into one Blob (16 MB)', async () => {
    const big = [2048];
    const w = await ExportWriter.create(['big@1'], big);
    const n = 2200;
    await w.collection({ name: 'big', createdAt: 1, personCount: n, faceCount: n, includeImages: false });
    for (let i = 0; i < n; i++)
      await w.person({
        personId: `p${i}`,
        personName: `P ${i}`,
        metadata: {},
        createdAt: i,
        updatedAt: i,
        faces: [{ faceId: `f${i}`, createTime: i, vectors: [vector(i, 2048)] }],
      });
    const file = await w.finish({ persons: n, faces: n, images: 0 });
    expect(file.size).toBeGreaterThan(17 * 1024 * 1024);
    const decoded = await readExport(file, { models: ['big@1'], dims: big });
    expect(decoded.persons.length).toBe(n);
    expect(decoded.persons[1234]!.faces[0]!.vectors[0]).toEqual(vector(1234, 2048));
    expect(decoded.persons.map((p) => p.personId)).toEqual(Array.from({ length: n }, (_, i) => `p${i}`));
  }, 60_000);
});

const face = (faceId: string, seed: number) => ({
  faceId,
  createTime: 1,
  vectors: [vector(seed, 4), vector(seed + 1, 3)],
});

async function failure(p: Promise<unknown>): Promise<FaceError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(FaceError);
  return e as FaceError;
}

describe('collection export format: structure of a well-summed file', () => {
  it('refuses a file that lists one personId twice', async () => {
    const w = await ExportWriter.create(models, dims);
    await w.collection({ name: 'c', createdAt: 1, personCount: 2, faceCount: 2, includeImages: false });
    for (const [i, faceId] of ['f1', 'f2'].entries())
      await w.person({
        personId: 'p',
        personName: 'P',
        metadata: {},
        createdAt: 1,
        updatedAt: 1,
        faces: [face(faceId, i)],
      });
    const e = await failure(readExport(await w.finish({ persons: 2, faces: 2, images: 0 }), { models, dims }));
    expect(e.code).toBe('ERR_INVALID_EXPORT');
    expect(e.message).toContain('personId "p" appears twice');
  });

  it('refuses a second image record for a face that already has its image', async () => {
    const w = await ExportWriter.create(models, dims);
    await w.collection({ name: 'c', createdAt: 1, personCount: 1, faceCount: 1, includeImages: true });
    const blob = new Blob([new Uint8Array(JPEG)], { type: 'image/jpeg' });
    await w.person({
      personId: 'p',
      personName: 'P',
      metadata: {},
      createdAt: 1,
      updatedAt: 1,
      faces: [{ ...face('f', 1), image: { kind: 'thumbnail', blob } }],
    });
    // The same image record again, written through the writer's own record path (type 3 = image).
    const meta = new TextEncoder().encode(JSON.stringify({ faceId: 'f', kind: 'full', type: 'image/jpeg' }));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, meta.length, true);
    await (w as unknown as { record(type: number, plain: (Uint8Array | Blob)[]): Promise<void> }).record(3, [
      length,
      meta,
      blob,
    ]);
    const e = await failure(readExport(await w.finish({ persons: 1, faces: 1, images: 2 }), { models, dims }));
    expect(e.code).toBe('ERR_INVALID_EXPORT');
    expect(e.message).toContain('belongs to no face of the person before it');
  });

  it('refuses an encrypted header whose PBKDF2 iteration count LocalFace never writes, before deriving a key', async () => {
    const w = await ExportWriter.create(models, dims, 'pw');
    await w.collection({ name: 'c', createdAt: 1, personCount: 0, faceCount: 0, includeImages: false });
    const bytes = await bytesOf(await w.finish({ persons: 0, faces: 0, images: 0 }));
    for (const iterations of [1000, 600_000.5]) {
      const file = await withHeader(bytes, (header) => ({
        ...header,
        encryption: { ...(header.encryption as object), iterations },
      }));
      const e = await failure(readExport(file, { passphrase: 'pw', models, dims }));
      expect([iterations, e.code]).toEqual([iterations, 'ERR_INVALID_EXPORT']);
      expect(e.message).toContain('encryption parameters are invalid');
    }
  });
});
