// Bad-input fuzzing of every public LocalFace method, in the browser. Plain ES module (no build step), imported by
// the page in e2e/fuzz.spec.ts (a fixed slice in CI) and bench/fuzz.mjs (the full run). Seeded: the same seed gives
// the same cases. Images are made at run time from seed bytes (a JPEG fixture, and a PNG, a 16-bit PNG and a
// grey PNG encoded here) by truncating, flipping bits, grafting absurd headers and gluing formats together.

/** Deterministic pseudo-random numbers (mulberry32). */
export function seededRandom(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- seed images ---------------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function deflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A PNG of `rgba` (width × height) at 8 or 16 bits per channel, colour type 2 (RGB) or 0 (grey). */
export async function encodePng(rgba, width, height, { bitDepth = 8, grey = false } = {}) {
  const channels = grey ? 1 : 3;
  const bytesPerSample = bitDepth / 8;
  const stride = 1 + width * channels * bytesPerSample;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const samples = grey
        ? [Math.round((rgba[i] + rgba[i + 1] + rgba[i + 2]) / 3)]
        : [rgba[i], rgba[i + 1], rgba[i + 2]];
      samples.forEach((v, c) => {
        const o = y * stride + 1 + (x * channels + c) * bytesPerSample;
        raw[o] = v;
        if (bytesPerSample === 2) raw[o + 1] = v; // 16-bit: v·257
      });
    }
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([bitDepth, grey ? 0 : 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', await deflate(raw)),
    pngChunk('IEND', new Uint8Array()),
  ];
  return concat(...parts);
}

/** Seed images from a JPEG photo: the JPEG itself, and PNGs (8-bit RGB, 16-bit RGB, 8-bit grey) of its pixels. */
export async function makeSeeds(jpeg) {
  const bitmap = await createImageBitmap(new Blob([jpeg], { type: 'image/jpeg' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = canvas.getContext('2d');
  g.drawImage(bitmap, 0, 0);
  const { data, width, height } = g.getImageData(0, 0, bitmap.width, bitmap.height);
  bitmap.close();
  return {
    jpeg,
    png: await encodePng(data, width, height),
    png16: await encodePng(data, width, height, { bitDepth: 16 }),
    grey: await encodePng(data, width, height, { grey: true }),
  };
}

// ---- mutations -------------------------------------------------------------------------------------------------

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const pick = (r, list) => list[Math.floor(r() * list.length)];
const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

/** Offset of the first JPEG SOFn segment, or -1. */
function jpegSof(b) {
  for (let o = 2; o + 4 < b.length && b[o] === 0xff;) {
    const m = b[o + 1];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return o;
    if (m === 0xda) return -1;
    o += 2 + ((b[o + 2] << 8) | b[o + 3]);
  }
  return -1;
}

function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Image mutations: each returns [label, bytes-or-other]. */
const IMAGE_MUTATIONS = [
  (r, s) => {
    const src = pick(r, [s.jpeg, s.png, s.png16]);
    return ['truncated', src.slice(0, int(r, 0, src.length - 1))];
  },
  (r, s) => {
    const out = pick(r, [s.jpeg, s.png, s.png16, s.grey]).slice();
    const flips = int(r, 1, 40);
    for (let i = 0; i < flips; i++) out[int(r, 0, out.length - 1)] ^= 1 << int(r, 0, 7);
    return [`bitflip×${flips}`, out];
  },
  (r, s) => {
    // Header-only flips: the first 64 bytes carry the sizes and markers.
    const out = pick(r, [s.jpeg, s.png]).slice();
    for (let i = 0; i < 3; i++) out[int(r, 0, 63)] = int(r, 0, 255);
    return ['header-bytes', out];
  },
  (r, s) => {
    const out = s.jpeg.slice();
    const sof = jpegSof(out);
    const [h, w] = pick(r, [
      [0, 0],
      [0, 250],
      [65535, 65535],
      [1, 65535],
      [65535, 1],
      [7000, 7000],
      [4100, 6000],
      [1, 1],
      ...(s.hugeInLimit
        ? [
            [4000, 6000],
            [3024, 4032],
          ]
        : []),
    ]);
    out[sof + 5] = h >> 8;
    out[sof + 6] = h & 0xff;
    out[sof + 7] = w >> 8;
    out[sof + 8] = w & 0xff;
    return [`jpeg-sof-${w}x${h}`, out];
  },
  (r, s) => {
    // A JPEG declaring 4 (CMYK) or 2 components, or precision 12/16, on 3-component data.
    const out = s.jpeg.slice();
    const sof = jpegSof(out);
    const change = pick(r, ['components-4', 'components-2', 'components-0', 'precision-12', 'precision-16']);
    if (change.startsWith('components')) out[sof + 9] = Number(change.split('-')[1]);
    else out[sof + 4] = Number(change.split('-')[1]);
    return [`jpeg-${change}`, out];
  },
  (r, s) => {
    const out = pick(r, [s.png, s.png16]).slice();
    const view = new DataView(out.buffer);
    const [w, h] = pick(r, [
      [0, 0],
      [0x7fffffff, 1],
      [0xffffffff, 0xffffffff],
      [1, 0x7fffffff],
      [6000, 4100],
      [20000, 20000],
      [1, 1],
      ...(s.hugeInLimit ? [[6000, 4000]] : []),
    ]);
    view.setUint32(16, w);
    view.setUint32(20, h);
    if (r() < 0.5) view.setUint32(29, crc32(out.subarray(12, 29))); // with or without a valid CRC
    return [`png-ihdr-${w}x${h}`, out];
  },
  (r, s) => {
    const out = s.png.slice();
    out[24] = pick(r, [0, 3, 7, 32, 255]); // bit depth
    out[25] = pick(r, [1, 5, 7, 255]); // colour type
    return ['png-bad-depth-or-colour', out];
  },
  (r, s) => {
    const glue = pick(r, [
      [
        'jpeg+zip',
        () => concat(s.jpeg, new Uint8Array([0x50, 0x4b, 0x03, 0x04]), new TextEncoder().encode('x'.repeat(100))),
      ],
      ['png-sig+jpeg', () => concat(s.png.subarray(0, 8), s.jpeg)],
      ['jpeg-soi+png', () => concat(new Uint8Array([0xff, 0xd8, 0xff]), s.png)],
      ['gif+jpeg', () => concat(new TextEncoder().encode('GIF89a'), s.jpeg)],
      ['html+jpeg', () => concat(new TextEncoder().encode('<html><script>alert(1)</script>'), s.jpeg)],
      ['jpeg×2', () => concat(s.jpeg, s.jpeg)],
      ['svg', () => new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="9000" height="9000"/>')],
      ['pdf', () => new TextEncoder().encode('%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\n')],
      ['webp', () => concat(new TextEncoder().encode('RIFF\x10\x00\x00\x00WEBPVP8 '), new Uint8Array(20))],
      ['zeros', () => new Uint8Array(int(r, 0, 5000))],
      ['jpeg-soi-only', () => new Uint8Array([0xff, 0xd8, 0xff])],
      ['jpeg-markers-loop', () => concat(new Uint8Array([0xff, 0xd8]), new Uint8Array(4000).fill(0xff))],
    ]);
    return [`polyglot-${glue[0]}`, glue[1]()];
  },
];

/** Inputs of the wrong kind, or absurd values of the right kind. */
const WRONG_INPUTS = [
  () => ['null', null],
  () => ['undefined', undefined],
  () => ['NaN', NaN],
  () => ['-1', -1],
  () => ['Infinity', Infinity],
  () => ['true', true],
  () => ['object', {}],
  () => ['array', [1, 2, 3]],
  () => ['function', () => 1],
  () => ['symbol', Symbol('x')],
  () => ['bigint', 10n],
  () => ['date', new Date()],
  () => ['map', new Map()],
  () => ['regexp', /x/],
  () => ['empty-string', ''],
  () => ['spaces', '   '],
  () => ['not-base64', 'hello world!'],
  () => ['data-url-no-base64', 'data:image/jpeg,abc'],
  () => ['data-url-empty', 'data:image/png;base64,'],
  () => ['huge-string', 'A'.repeat(12 * 1024 * 1024)],
  () => ['huge-data-url', `data:image/jpeg;base64,${'/9j/'.repeat(2_000_000)}`],
  () => ['float32array', new Float32Array(100)],
  () => ['dataview', new DataView(new ArrayBuffer(8))],
  () => ['empty-bytes', new Uint8Array()],
  () => ['blob-text', new Blob(['not an image'], { type: 'image/jpeg' })],
  () => ['empty-blob', new Blob([])],
  () => ['imagedata-like', { width: NaN, height: -1, data: [] }],
  () => ['zero-canvas', Object.assign(new OffscreenCanvas(1, 1), { width: 0 })],
  () => ['huge-canvas', new OffscreenCanvas(7000, 10)],
  () => [
    'proxy',
    new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    ),
  ],
  () => [
    'getter-throws',
    Object.defineProperty({}, 'width', {
      get() {
        throw new Error('getter');
      },
    }),
  ],
];

function image(r, seeds) {
  if (r() < 0.7) {
    const [label, bytes] = pick(r, IMAGE_MUTATIONS)(r, seeds);
    const wrap = pick(r, ['bytes', 'bytes', 'buffer', 'blob', 'base64', 'data-url']);
    const value =
      wrap === 'bytes'
        ? bytes
        : wrap === 'buffer'
          ? bytes.slice().buffer
          : wrap === 'blob'
            ? new Blob([bytes])
            : wrap === 'base64'
              ? base64(bytes)
              : `data:image/png;base64,${base64(bytes)}`;
    return [`${label}/${wrap}`, value];
  }
  return pick(r, WRONG_INPUTS)();
}

// ---- arguments other than images -------------------------------------------------------------------------------

const BAD_NAMES = [
  null,
  undefined,
  '',
  ' ',
  'a b',
  '../x',
  'x'.repeat(256),
  'é',
  '__proto__',
  'constructor',
  42,
  NaN,
  {},
  ['fuzz'],
  'fuzz\u0000',
  'FUZZ-missing',
];
/** Valid collection names that are also Object.prototype keys: creating and deleting them must work like any other. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor'];
// Every value in these pools is invalid for its field (or names nothing that exists), so a call with one must fail.
const BAD_IDS = [null, '', 'x'.repeat(256), 5, NaN, {}, [], true];
const BAD_COUNTS = [NaN, -1, 1.5, Infinity, -Infinity, 1e9, '5', null, {}];
const BAD_SCORES = [NaN, -1, -0.5, 1.5, 2, Infinity, '0.7', null, {}];
const BAD_BOOLS = ['true', 1, 0, null, {}, 'yes'];

function badMetadata(r) {
  const cyclic = {};
  cyclic.self = cyclic;
  return pick(r, [
    () => null,
    () => 'string',
    () => [1, 2],
    () => 42,
    () => cyclic,
    () => ({ n: 1n }),
    () => JSON.parse('{"__proto__":{"polluted":true}}'),
    () => ({ a: [JSON.parse('{"__proto__":{"polluted":true}}')] }),
    () => ({ toJSON: () => null }),
    () => ({ toJSON: () => undefined }),
    () => ({ toJSON: () => 'x' }),
    () => ({
      get boom() {
        throw new Error('getter');
      },
    }),
    () => ({ big: 'x'.repeat(17 * 1024) }),
    () => new Date(),
    () =>
      Object.defineProperty({}, 'x', {
        enumerable: true,
        get() {
          throw 'not an error';
        },
      }),
  ])();
}

/**
 * One malformed field in an otherwise valid request; `fields` lists what may be broken. Returns [label, request,
 * mustFail]: every non-image value drawn is invalid, so such a call must fail; a mangled image may still decode.
 */
function breakOne(r, base, fields, seeds) {
  const field = pick(r, fields);
  const req = { ...base };
  let value;
  switch (field) {
    case 'collectionName':
      value = pick(
        r,
        BAD_NAMES.filter((n) => n !== undefined),
      );
      break;
    case 'personId':
    case 'faceId':
      value = pick(r, BAD_IDS);
      break;
    case 'personName':
      value = pick(r, [null, 5, '', 'x'.repeat(1025), {}, []]);
      break;
    case 'metadata':
      value = badMetadata(r);
      break;
    case 'face':
    case 'image': {
      const [label, v] = image(r, seeds);
      return [`${field}=${label}`, { ...req, [field]: v }, false];
    }
    case 'faceStorageType':
      value = pick(r, ['thumbnails', 'StoreFull', null, 1, {}]);
      break;
    case 'maxResults':
      value = pick(r, BAD_COUNTS);
      break;
    case 'offset':
      value = pick(
        r,
        BAD_COUNTS.filter((n) => n !== 1e9),
      );
      break;
    case 'limit':
      value = pick(r, [...BAD_COUNTS, 0, 1001]);
      break;
    case 'duplicateCheckMinSimilarity':
    case 'minSimilarityScore':
      value = pick(r, BAD_SCORES);
      break;
    case 'checkDuplicates':
    case 'checkLiveness':
      value = pick(r, BAD_BOOLS);
      break;
    default:
      throw new Error(`no bad values for ${field}`);
  }
  req[field] = value;
  // A prototype-named collection may exist (createCollection cases make them), so calls naming it may succeed.
  return [`${field}=${describe(value)}`, req, !(field === 'collectionName' && PROTOTYPE_NAMES.includes(value))];
}

function describe(v) {
  if (typeof v === 'string') return v.length > 20 ? `"${v.slice(0, 12)}…"(${v.length})` : JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return 'symbol';
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'array' : typeof v === 'function' ? 'function' : (v.constructor?.name ?? 'object');
}

// ---- the cases --------------------------------------------------------------------------------------------------

/** Methods that change what is stored: their cases always carry at least one malformed argument. */
export const MUTATING = new Set([
  'createCollection',
  'deleteCollection',
  'enrollPerson',
  'enrollPersons',
  'addFace',
  'updatePerson',
  'deletePerson',
  'deleteFace',
]);

/**
 * `count` cases for seed `seed`. Each is { id, method, label, call(client, LocalFace, ctx) }; ctx holds the fuzz
 * collection's name, an enrolled personId and faceId. Every public method is covered in turn.
 */
export function makeCases(seed, count, seedImages, { hugeInLimit = false } = {}) {
  const r = seededRandom(seed);
  // hugeInLimit: also headers claiming 12–24 MP (inside the default limits), which the browser then decodes at
  // full size: seconds each, and more than 10 s on a loaded 2-core machine, so only the bench run asks for them.
  const seeds = { ...seedImages, hugeInLimit };
  const C = 'fuzz';
  const makers = {
    detectFaces: () => {
      const [l, img] = image(r, seeds);
      const opts = pick(r, [undefined, {}, { liveness: true }, 'fast', null, { quality: 'yes' }]);
      return [`${l} opts=${describe(opts)}`, (c) => c.detectFaces(img, opts)];
    },
    validateFace: () => {
      const [l, img] = image(r, seeds);
      const opts = pick(r, [undefined, { validateLiveness: true, validateQuality: true }, { validateNface: 1 }, 7]);
      return [`${l} opts=${describe(opts)}`, (c) => c.validateFace(img, opts)];
    },
    compareFaces: () => {
      const [l, img] = image(r, seeds);
      const good = r() < 0.5;
      return [
        `${l} other=${good ? 'jpeg' : 'same'}`,
        (c) => (good ? c.compareFaces(seeds.jpeg, img) : c.compareFaces(img, img)),
      ];
    },
    createCollection: () => {
      const n = pick(r, [...BAD_NAMES.filter((x) => x !== 'FUZZ-missing'), C]);
      return [describe(n), (c) => c.createCollection(n), !PROTOTYPE_NAMES.includes(n)];
    },
    deleteCollection: () => {
      const n = pick(r, BAD_NAMES);
      return [describe(n), (c) => c.deleteCollection(n), !PROTOTYPE_NAMES.includes(n)];
    },
    enrollPerson: () => {
      const [l, req, must] = breakOne(
        r,
        { collectionName: C, personId: `fz-${int(r, 0, 1e6)}`, personName: 'Fuzz', face: seeds.jpeg },
        [
          'collectionName',
          'personId',
          'personName',
          'metadata',
          'face',
          'faceStorageType',
          'checkDuplicates',
          'duplicateCheckMinSimilarity',
          'checkLiveness',
        ],
        seeds,
      );
      return [l, (c) => c.enrollPerson(req), must];
    },
    enrollPersons: () => {
      const shape = pick(r, ['not-array', 'bad-items', 'bad-options']);
      if (shape === 'not-array') {
        const v = pick(r, [null, {}, 'x', 5]);
        return [`requests=${describe(v)}`, (c) => c.enrollPersons(v)];
      }
      if (shape === 'bad-options') {
        const o = pick(r, [null, 5, { onProgress: 'x' }]);
        return [`options=${describe(o)}`, (c) => c.enrollPersons([], o)];
      }
      const items = Array.from({ length: int(r, 1, 3) }, () =>
        breakOne(
          r,
          { collectionName: C, personId: `fz-${int(r, 0, 1e6)}`, personName: 'Fuzz', face: seeds.jpeg },
          ['collectionName', 'personId', 'personName', 'metadata', 'face'],
          seeds,
        ),
      );
      return [
        items.map((i) => i[0]).join(' | '),
        async (c) => {
          const results = await c.enrollPersons(items.map((i) => i[1]));
          // A bulk call answers per item; a failed item must carry a specific code like any error.
          const internal = results.find((x) => !x.ok && x.error.code === 'ERR_INTERNAL');
          if (internal)
            throw Object.assign(new Error(internal.error.message), { code: 'ERR_INTERNAL', bulkItem: true });
          if (results.some((x) => x.ok)) return results;
          const first = results[0];
          throw Object.assign(new Error(first.error.message), { code: first.error.code, bulkItem: true });
        },
      ];
    },
    addFace: (ctx) => {
      const [l, req, must] = breakOne(
        r,
        { collectionName: C, personId: ctx.personId, face: seeds.jpeg },
        ['collectionName', 'personId', 'face', 'faceStorageType'],
        seeds,
      );
      return [l, (c) => c.addFace(req), must];
    },
    getPerson: (ctx) => {
      const [l, req, must] = breakOne(
        r,
        { collectionName: C, personId: ctx.personId },
        ['collectionName', 'personId'],
        seeds,
      );
      const positional = r() < 0.3;
      return [
        `${l}${positional ? ' positional' : ''}`,
        (c) => (positional ? c.getPerson(req.collectionName, req.personId) : c.getPerson(req)),
        must,
      ];
    },
    listPersons: () => {
      const [l, req, must] = breakOne(r, { collectionName: C }, ['collectionName', 'offset', 'limit'], seeds);
      return [l, (c) => c.listPersons(req), must];
    },
    updatePerson: (ctx) => {
      const [l, req, must] = breakOne(
        r,
        { collectionName: C, personId: ctx.personId, personName: 'Renamed' },
        ['collectionName', 'personId', 'personName', 'metadata'],
        seeds,
      );
      return [l, (c) => c.updatePerson(req), must];
    },
    deletePerson: (ctx) => {
      const [l, req, must] = breakOne(
        r,
        { collectionName: C, personId: ctx.personId },
        ['collectionName', 'personId'],
        seeds,
      );
      return [l, (c) => c.deletePerson(req), must];
    },
    deleteFace: (ctx) => {
      const [l, req, must] = breakOne(
        r,
        { collectionName: C, faceId: ctx.faceId },
        ['collectionName', 'faceId'],
        seeds,
      );
      return [l, (c) => c.deleteFace(req), must];
    },
    searchFace: () => {
      const [l, req, must] = breakOne(
        r,
        { collectionName: C, face: seeds.jpeg },
        ['collectionName', 'face', 'face', 'maxResults', 'minSimilarityScore', 'checkLiveness'],
        seeds,
      );
      return [l, (c) => c.searchFace(req), must];
    },
    multiFaceSearch: () => {
      const [l, req, must] = breakOne(
        r,
        { collectionName: C, image: seeds.jpeg },
        ['collectionName', 'image', 'image', 'minSimilarityScore'],
        seeds,
      );
      return [l, (c) => c.multiFaceSearch(req), must];
    },
    collection: (ctx) => {
      const n = pick(r, [
        ...BAD_NAMES.filter((x) => typeof x !== 'string' || x === '' || x.includes(' ') || x.length > 255),
        C,
      ]);
      const [l, req] = breakOne(r, { personId: ctx.personId }, ['personId'], seeds);
      return [`name=${describe(n)} ${l}`, (c) => c.collection(n).getPerson(req), true];
    },
    createFaceTracker: () => {
      const [field, values] = pick(r, [
        [
          'collectionName',
          BAD_NAMES.filter((x) => x !== undefined && x !== 'FUZZ-missing' && !PROTOTYPE_NAMES.includes(x)),
        ],
        ['minSimilarityScore', BAD_SCORES],
        ['liveness', BAD_BOOLS],
        ['quality', BAD_BOOLS],
        ['maxFaces', [...BAD_COUNTS, 0, 21]],
        ['options', [5, 'x', [], true]],
      ]);
      const value = pick(r, values);
      const opts = field === 'options' ? value : { [field]: value };
      return [`${field}=${describe(value)}`, async (c) => c.createFaceTracker(opts), true];
    },
    trackerProcess: () => {
      // Encoded images and wrong inputs are not video frames; a good canvas frame with a bad timestamp fails too.
      const badTime = r() < 0.3;
      const [l, frame] = badTime ? ['canvas', new OffscreenCanvas(64, 64)] : image(r, seeds);
      const time = badTime ? pick(r, [NaN, Infinity, '5', null, {}]) : 0;
      return [
        `${l} t=${describe(time)}`,
        async (c) => {
          const tracker = c.createFaceTracker();
          try {
            return await tracker.process(frame, time);
          } finally {
            tracker.close();
          }
        },
        true,
      ];
    },
    createFaceClient: () => {
      // Always one invalid option, so no models are loaded.
      const opts = pick(r, [
        null,
        5,
        { backend: 'gpu' },
        { databaseName: '' },
        { databaseName: 5 },
        { imageLimits: { maxBytes: NaN } },
        { imageLimits: { maxPixels: -1 } },
        { imageLimits: 'big' },
        { imageLimits: { maxbytes: 1 } },
        { imageLimits: { maxDimension: 1e9 } },
        { encryption: null },
        { encryption: 'secret passphrase' },
        { encryption: { passphrase: '' } },
        { encryption: { passphrase: 'x'.repeat(5000) } },
        { encryption: { key: { algorithm: { name: 'AES-GCM' }, usages: ['encrypt', 'decrypt'] } } },
        { encryption: { passphrase: 'long enough passphrase', extra: true } },
      ]);
      return [describe(opts), (_c, LocalFace) => LocalFace.createFaceClient(opts), true];
    },
  };
  const methods = Object.keys(makers);
  return Array.from({ length: count }, (_, i) => {
    const method = methods[i % methods.length];
    return { id: i, method, make: (ctx) => makers[method](ctx) };
  });
}

/**
 * Every call must settle within this (a call that blocks the thread past it is caught by its measured time). A guard
 * against hangs, not a speed target: the slowest case (a 6000×4100 JPEG with no face, searched through the tiles)
 * takes ~2.2 s here when the machine is quiet, and took 12.7 s once in CI while another process starved it of memory.
 */
export const TIME_LIMIT_MS = 20_000;

// ---- running them ----------------------------------------------------------------------------------------------

async function snapshot(client) {
  const collections = (await client.listCollections()).map((c) => `${c.name}:${c.personCount ?? ''}`).sort();
  const { persons } = await client.listPersons({ collectionName: 'fuzz', limit: 1000 });
  const details = await Promise.all(
    persons.map(async (p) => {
      const full = await client.getPerson({ collectionName: 'fuzz', personId: p.personId });
      return { ...p, faces: full.faces.map((f) => f.faceId) };
    }),
  );
  return JSON.stringify({ collections, details, stored: await storedRecords() });
}

/** Every record of every IndexedDB database of the page (templates, search rows, images, keys), as text. */
async function storedRecords() {
  const out = [];
  for (const { name } of await indexedDB.databases()) {
    const open = indexedDB.open(name);
    const db = await new Promise((ok, ko) => {
      open.onsuccess = () => ok(open.result);
      open.onerror = () => ko(open.error);
    });
    const stores = Array.from(db.objectStoreNames);
    if (stores.length > 0) {
      const tx = db.transaction(stores);
      for (const store of stores) {
        const records = await new Promise((ok) => {
          const r = tx.objectStore(store).getAll();
          r.onsuccess = () => ok(r.result);
        });
        out.push([name, store, records]);
      }
    }
    db.close();
  }
  return JSON.stringify(out, (_key, value) =>
    ArrayBuffer.isView(value)
      ? Array.from(value)
      : value instanceof Blob
        ? { blob: value.size, type: value.type }
        : value,
  );
}

/**
 * Runs `cases` against `client`, each within `timeoutMs`. Returns one result per case: outcome 'ok' (resolved),
 * 'error' (a FaceError; code), 'raw' (anything else thrown), 'timeout'; `storeChanged` when a mutating call failed
 * and the stored data changed anyway. The fuzz collection is created (with one person) first, and deleted after.
 */
export async function runCases(client, LocalFace, cases, { timeoutMs = TIME_LIMIT_MS, seeds, onResult } = {}) {
  for (const c of await client.listCollections())
    if (c.name === 'fuzz' || PROTOTYPE_NAMES.includes(c.name)) await client.deleteCollection(c.name);
  await client.createCollection('fuzz');
  const enrolled = await client.enrollPerson({
    collectionName: 'fuzz',
    personId: 'anchor',
    personName: 'Anchor',
    face: seeds.jpeg,
    faceStorageType: 'StoreThumbnails',
    metadata: { k: 1 },
  });
  const ctx = { personId: enrolled.personId, faceId: (await client.getPerson('fuzz', 'anchor')).faces[0].faceId };
  const protoKeys = Object.getOwnPropertyNames(Object.prototype).join();
  const results = [];
  let before = await snapshot(client);
  for (const c of cases) {
    let label = '?',
      outcome,
      code,
      message = '',
      mustFail = false;
    const t0 = performance.now();
    try {
      const [l, call, must] = c.make(ctx);
      label = l;
      mustFail = must === true;
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { timedOut: true })), timeoutMs);
      });
      try {
        await Promise.race([(async () => call(client, LocalFace))(), timeout]);
      } finally {
        clearTimeout(timer);
      }
      outcome = 'ok';
    } catch (e) {
      if (e?.timedOut) outcome = 'timeout';
      else if (e instanceof LocalFace.FaceError || e?.bulkItem) {
        outcome = 'error';
        code = e.code;
      } else {
        outcome = 'raw';
        code = `${e?.name ?? typeof e}`;
      }
      message = String(e?.message ?? e).slice(0, 200);
    }
    const ms = performance.now() - t0;
    let storeChanged = false;
    if (MUTATING.has(c.method)) {
      const after = await snapshot(client);
      storeChanged = outcome !== 'ok' && after !== before;
      before = after;
    }
    // A call with an argument that is invalid whatever the image must not succeed.
    const result = {
      id: c.id,
      method: c.method,
      label,
      outcome,
      code,
      message,
      ms,
      storeChanged,
      unexpectedOk: outcome === 'ok' && mustFail,
    };
    results.push(result);
    onResult?.(result);
  }
  const polluted = Object.getOwnPropertyNames(Object.prototype).join() !== protoKeys || {}.polluted !== undefined;
  for (const c of await client.listCollections())
    if (c.name === 'fuzz' || PROTOTYPE_NAMES.includes(c.name)) await client.deleteCollection(c.name);
  return { results, polluted };
}

/** Counts by method and outcome/code, the slowest case, and the failures (raw throws, ERR_INTERNAL, timeouts, store changes, invalid calls that succeeded). */
export function summarize(results) {
  const byCode = {};
  const byMethod = {};
  for (const r of results) {
    const key = r.outcome === 'error' ? r.code : r.outcome;
    byCode[key] = (byCode[key] ?? 0) + 1;
    byMethod[r.method] = (byMethod[r.method] ?? 0) + 1;
  }
  const slowest = results.reduce((a, b) => (b.ms > a.ms ? b : a), results[0]);
  const failures = results.filter(
    (r) =>
      r.outcome === 'raw' ||
      r.outcome === 'timeout' ||
      r.ms > TIME_LIMIT_MS ||
      (r.outcome === 'error' && (r.code === 'ERR_INTERNAL' || !r.code)) ||
      r.storeChanged ||
      r.unexpectedOk,
  );
  return { total: results.length, byCode, byMethod, slowest, failures };
}
