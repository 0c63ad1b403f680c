// Every input kind of API.md, and every error code bad input can produce, through the built ES module.
import { chromium } from '@playwright/test';
import { CHROMIUM_PATH, lanHostArgs } from './chromium.mjs';
import { test, expect, expectFaceError, openHarness, ORIGIN } from './localface';
import { HARNESS_PORT } from './ports';

test.describe.configure({ mode: 'serial' });

test('every image input kind gives the same face', async ({ facePage }) => {
  const boxes = await facePage.evaluate(async () => {
    const bytes = await window.fixture('lfw/Colin_Powell_0001.jpg');
    const blob = new Blob([bytes as BlobPart], { type: 'image/jpeg' });
    let binary = '';
    bytes.forEach((b) => (binary += String.fromCharCode(b)));
    const base64 = btoa(binary);
    const bitmap = await createImageBitmap(blob);
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    const imageData = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const offscreen = new OffscreenCanvas(bitmap.width, bitmap.height);
    offscreen.getContext('2d')!.drawImage(bitmap, 0, 0);
    const img = new Image();
    img.src = URL.createObjectURL(blob);
    await img.decode();
    // Shown at 100 px wide on the page: still read at its own 250 × 250.
    const shownSmall = new Image();
    shownSmall.width = 100;
    shownSmall.src = img.src;
    document.body.append(shownSmall);
    await shownSmall.decode();
    // A canvas without a 2d context (as a WebGL canvas): WASM's pixel read used to ask it for one.
    const bitmapCanvas = document.createElement('canvas');
    bitmapCanvas.width = bitmap.width;
    bitmapCanvas.height = bitmap.height;
    bitmapCanvas.getContext('bitmaprenderer')!.transferFromImageBitmap(await createImageBitmap(blob));
    // A <video> showing the photo: a canvas stream is a real video source without a media file.
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    // A canvas stream only emits frames when the canvas is painted, so keep painting until the video has one.
    const repaint = setInterval(() => canvas.getContext('2d')!.drawImage(bitmap, 0, 0), 30);
    video.srcObject = canvas.captureStream(30);
    const frameReady = new Promise((r) => video.addEventListener('loadeddata', r, { once: true }));
    await video.play();
    await frameReady;
    clearInterval(repaint);
    const inputs: Record<string, unknown> = {
      base64,
      dataUrl: `data:image/jpeg;base64,${base64}`,
      blob,
      file: new File([blob], 'face.jpg', { type: 'image/jpeg' }),
      arrayBuffer: bytes.slice().buffer,
      uint8Array: bytes,
      imageData,
      imageBitmap: bitmap,
      htmlImage: img,
      htmlImageShownSmall: shownSmall,
      canvas,
      bitmapRendererCanvas: bitmapCanvas,
      offscreen,
      video,
    };
    const out: Record<string, number[]> = {};
    for (const [kind, input] of Object.entries(inputs)) {
      const [face] = await window.client.detectFaces(input as Blob);
      out[kind] = face ? [face.box.x, face.box.y, face.box.width] : [];
    }
    video.pause();
    shownSmall.remove();
    return out;
  });
  const reference = boxes.blob!;
  expect(reference).toHaveLength(3);
  for (const [kind, box] of Object.entries(boxes)) {
    expect(box, kind).toHaveLength(3);
    // Same pixels (the video frame is re-encoded, so allow a few pixels).
    box.forEach((v, i) => expect(Math.abs(v - reference[i]!), kind).toBeLessThan(kind === 'video' ? 6 : 1));
  }
});

test('a VideoFrame meant to be shown rotated or mirrored is read as shown, by detectFaces and by the tracker', async ({
  facePage,
}) => {
  const result = await facePage.evaluate(async () => {
    const bitmap = await createImageBitmap(new Blob([(await window.fixture('lfw/Colin_Powell_0001.jpg')) as BlobPart]));
    // Not square, so a frame read at its stored size (or stretched to its display size) shows.
    const [w, h] = [bitmap.width, bitmap.height + 80];
    const upright = new OffscreenCanvas(w, h);
    const uc = upright.getContext('2d')!;
    uc.fillStyle = '#808080';
    uc.fillRect(0, 0, w, h);
    uc.drawImage(bitmap, 0, 0);
    /** The picture stored as a camera or a video file stores it, to be shown upright by `rotation` and `flip`. */
    const stored = (rotation: number, flip: boolean) => {
      const sideways = rotation === 90 || rotation === 270;
      const canvas = new OffscreenCanvas(sideways ? h : w, sideways ? w : h);
      const c = canvas.getContext('2d')!;
      c.translate(canvas.width / 2, canvas.height / 2);
      c.rotate((-rotation * Math.PI) / 180);
      if (flip) c.scale(-1, 1);
      c.drawImage(upright, -w / 2, -h / 2);
      return new VideoFrame(canvas, { timestamp: 0, rotation, flip } as VideoFrameInit);
    };
    const boxOf = (faces: { box: { x: number; y: number; width: number; height: number } }[]) =>
      faces.length === 1 ? [faces[0]!.box.x, faces[0]!.box.y, faces[0]!.box.width, faces[0]!.box.height] : [];
    const out: Record<string, { shown: number[]; box: number[] }> = {};
    const reference = boxOf(await window.client.detectFaces(upright));
    for (const [name, rotation, flip] of [
      ['rotation 90', 90, false],
      ['rotation 180', 180, false],
      ['rotation 270', 270, false],
      ['flip', 0, true],
    ] as const) {
      const frame = stored(rotation, flip);
      const shown = [
        frame.displayWidth,
        frame.displayHeight,
        (frame as unknown as { rotation: number }).rotation,
        Number((frame as unknown as { flip: boolean }).flip),
      ];
      out[name] = { shown, box: boxOf(await window.client.detectFaces(frame)) };
      frame.close();
    }
    const tracker = await window.client.createFaceTracker();
    const frame = stored(90, false);
    const update = await tracker.process(frame, 0);
    frame.close();
    tracker.close();
    out.tracker = { shown: [], box: boxOf(update.tracks) };
    return { size: [w, h], reference, out };
  });
  const [w, h] = result.size;
  expect(result.reference).toHaveLength(4);
  for (const [name, { shown, box }] of Object.entries(result.out)) {
    if (name !== 'tracker')
      expect(shown, name).toEqual([w, h, name === 'flip' ? 0 : Number(name.slice(9)), Number(name === 'flip')]);
    expect(box, name).toHaveLength(4);
    box.forEach((v, i) => expect(Math.abs(v - result.reference[i]!), name).toBeLessThan(4));
  }
});

test('ImageData in float16, and images, bitmaps, bytes and files made in an iframe, give the same face', async ({
  facePage,
}) => {
  const { boxes, tracked } = await facePage.evaluate(async () => {
    const bytes = await window.fixture('lfw/Colin_Powell_0001.jpg');
    const bitmap = await createImageBitmap(new Blob([bytes as BlobPart]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(bitmap, 0, 0);
    const frame = document.createElement('iframe');
    document.body.append(frame);
    const other = frame.contentWindow as unknown as typeof globalThis;
    const img = other.document.createElement('img');
    img.src = `${location.origin}/e2e/fixtures/lfw/Colin_Powell_0001.jpg`;
    await img.decode();
    const otherBytes = new other.Uint8Array(bytes.length);
    otherBytes.set(bytes);
    const otherBitmap = await other.createImageBitmap(img);
    const eight = context.getImageData(0, 0, canvas.width, canvas.height);
    const inputs: Record<string, unknown> = {
      blob: new Blob([bytes as BlobPart], { type: 'image/jpeg' }),
      // Chromium's float16 canvas read (0..1 values); tf.browser.fromPixels reads them as 0 or 1 of 255.
      float16: context.getImageData(0, 0, canvas.width, canvas.height, {
        pixelFormat: 'rgba-float16',
      } as ImageDataSettings),
      iframeImageData: new other.ImageData(new other.Uint8ClampedArray(eight.data), eight.width, eight.height),
      iframeImg: img,
      iframeBitmap: otherBitmap,
      iframeUint8Array: otherBytes,
      iframeArrayBuffer: otherBytes.slice().buffer,
      iframeBlob: new other.Blob([bytes as BlobPart], { type: 'image/jpeg' }),
    };
    const out: Record<string, number[] | string> = {};
    for (const [kind, input] of Object.entries(inputs)) {
      try {
        const [face] = await window.client.detectFaces(input as Blob);
        out[kind] = face ? [face.box.x, face.box.y, face.box.width] : [];
      } catch (e) {
        out[kind] = String((e as Error).message);
      }
    }
    // The same frames from the iframe, and its canvas, are frames for the tracker too.
    const iframeCanvas = other.document.createElement('canvas');
    iframeCanvas.width = img.naturalWidth;
    iframeCanvas.height = img.naturalHeight;
    iframeCanvas.getContext('2d')!.drawImage(img, 0, 0);
    const tracked: Record<string, number | string> = {};
    const frames = { iframeCanvas, iframeBitmap: otherBitmap, iframeImageData: inputs.iframeImageData };
    for (const [kind, input] of Object.entries(frames)) {
      const tracker = window.client.createFaceTracker();
      try {
        tracked[kind] = (await tracker.process(input as ImageData, 0)).tracks.length;
      } catch (e) {
        tracked[kind] = String((e as Error).message);
      } finally {
        tracker.close();
      }
    }
    frame.remove();
    return { boxes: out, tracked };
  });
  expect(tracked).toEqual({ iframeCanvas: 1, iframeBitmap: 1, iframeImageData: 1 });
  const reference = boxes.blob as number[];
  expect(reference).toHaveLength(3);
  for (const [kind, box] of Object.entries(boxes)) {
    expect(box, kind).toHaveLength(3);
    (box as number[]).forEach((v, i) => expect(Math.abs(v - reference[i]!), kind).toBeLessThan(1));
  }
});

test('an ImageData in display-p3 is read in sRGB, as the same picture drawn on an sRGB canvas', async ({
  facePage,
}) => {
  const result = await facePage.evaluate(async () => {
    const photo = await createImageBitmap(
      new Blob([(await window.fixture('lfw/Colin_Powell_0001.jpg')) as Uint8Array<ArrayBuffer>]),
    );
    const canvasIn = (colorSpace: PredefinedColorSpace) => {
      const canvas = new OffscreenCanvas(photo.width, photo.height);
      const context = canvas.getContext('2d', { colorSpace })!;
      context.drawImage(photo, 0, 0);
      return context.getImageData(0, 0, photo.width, photo.height);
    };
    // The pixels the library keeps (StoreFullImage), decoded back: what it read.
    const collectionName = `p3-${Date.now().toString(36)}`;
    await window.client.createCollection(collectionName);
    const stored = async (personId: string, face: ImageData) => {
      const { faceBase64 } = await window.client.enrollPerson({
        collectionName,
        personId,
        personName: personId,
        face,
        faceStorageType: 'StoreFullImage',
      });
      const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(faceBase64), (ch) => ch.charCodeAt(0))]));
      const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      return context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    };
    const p3 = canvasIn('display-p3');
    const fromSrgb = await stored('srgb', canvasIn('srgb'));
    const fromP3 = await stored('p3', p3);
    await window.client.deleteCollection(collectionName);
    // Mean absolute difference per value (the same colour has other numbers in P3: read as sRGB, faces paled).
    let difference = 0;
    for (let i = 0; i < fromSrgb.length; i++) if (i % 4 !== 3) difference += Math.abs(fromP3[i]! - fromSrgb[i]!);
    return { colorSpace: p3.colorSpace, meanDifference: difference / ((fromSrgb.length / 4) * 3) };
  });
  expect(result.colorSpace).toBe('display-p3');
  expect(result.meanDifference).toBeLessThan(0.5); // 1.17 when read as sRGB numbers
});

test('without OffscreenCanvas (Safari before 16.4) a display-p3 ImageData, an <img> and a video are read as with it', async ({
  browser,
}) => {
  const page = await browser.newPage();
  try {
    await page.addInitScript(() => delete (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas);
    await openHarness(page);
    const result = await page.evaluate(async () => {
      const bytes = await window.fixture('lfw/Colin_Powell_0001.jpg');
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
      const img = new Image();
      img.src = url;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const context = canvas.getContext('2d', { colorSpace: 'display-p3' })!;
      context.drawImage(img, 0, 0);
      const p3 = context.getImageData(0, 0, img.width, img.height);
      const client = await window.LocalFace.createFaceClient({ backend: 'wasm', threads: 1 });
      const box = async (input: Parameters<typeof client.detectFaces>[0]) =>
        (await client.detectFaces(input, { quality: false, attributes: false }))[0]?.box;
      const out = {
        offscreen: typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas,
        colorSpace: p3.colorSpace,
        bytes: await box(bytes),
        img: await box(img),
        p3: await box(p3),
        score: (await client.compareFaces(p3, img)).similarityScore,
      };
      await client.close();
      return out;
    });
    expect(result.offscreen).toBe('undefined');
    expect(result.colorSpace).toBe('display-p3');
    for (const box of [result.img, result.p3]) {
      expect(box).toBeDefined();
      for (const key of ['x', 'y', 'width', 'height'] as const)
        expect(Math.abs(box![key] - result.bytes![key])).toBeLessThan(2);
    }
    expect(result.score).toBeGreaterThan(0.9);
  } finally {
    await page.close();
  }
});

test('bytes in a resizable ArrayBuffer (which a Blob refuses) are read as any bytes', async ({ facePage }) => {
  const faces = await facePage.evaluate(async () => {
    const bytes = await window.fixture('lfw/Colin_Powell_0001.jpg');
    // ES2024's resizable buffers, which this TypeScript lib does not type.
    const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;
    const resizable = new Resizable(bytes.length, { maxByteLength: bytes.length * 2 });
    new Uint8Array(resizable).set(bytes);
    const found = await window.client.detectFaces(resizable, { quality: false, attributes: false });
    const viewed = await window.client.detectFaces(new Uint8Array(resizable), { quality: false, attributes: false });
    return [found.length, viewed.length];
  });
  expect(faces).toEqual([1, 1]);
});

test('a transferred buffer and a closed ImageBitmap are ERR_INVALID_ARGUMENT saying so', async ({ facePage }) => {
  const errors = await facePage.evaluate(async () => {
    const bytes = await window.fixture('lfw/Colin_Powell_0001.jpg');
    const buffer = bytes.slice().buffer;
    structuredClone(buffer, { transfer: [buffer] });
    const view = bytes.slice();
    structuredClone(view.buffer, { transfer: [view.buffer] });
    const bitmap = await createImageBitmap(new Blob([bytes as BlobPart]));
    // An ImageData whose buffer went to a Worker keeps its width and height, and no pixels.
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    const imageData = canvas.getContext('2d')!.getImageData(0, 0, bitmap.width, bitmap.height);
    structuredClone(imageData.data.buffer, { transfer: [imageData.data.buffer] });
    bitmap.close();
    const tracker = window.client.createFaceTracker();
    return {
      transferredArrayBuffer: await window.errorInfo(() => window.client.detectFaces(buffer)),
      transferredUint8Array: await window.errorInfo(() => window.client.compareFaces(view, bytes)),
      closedBitmap: await window.errorInfo(() => window.client.detectFaces(bitmap)),
      transferredImageData: await window.errorInfo(() => window.client.detectFaces(imageData)),
      transferredImageDataFrame: await window.errorInfo(() => tracker.process(imageData, 0)),
    };
  });
  for (const name of [
    'transferredArrayBuffer',
    'transferredUint8Array',
    'transferredImageData',
    'transferredImageDataFrame',
  ] as const)
    expect(expectFaceError(errors[name], 'ERR_INVALID_ARGUMENT', 400).message, name).toMatch(/transferred.*copy/);
  expect(expectFaceError(errors.closedBitmap, 'ERR_INVALID_ARGUMENT', 400).message).toMatch(/closed/);
});

test('what browsers decode is accepted: stray bytes between JPEG segments, an upper-case or percent-encoded data: URL', async ({
  facePage,
}) => {
  const boxes = await facePage.evaluate(async () => {
    const bytes = await window.fixture('lfw/Colin_Powell_0001.jpg');
    // Two 0x00 bytes after the first segment (APP0): libjpeg skips them with a warning.
    const afterApp0 = 4 + ((bytes[4]! << 8) | bytes[5]!);
    const stray = new Uint8Array(bytes.length + 2);
    stray.set(bytes.subarray(0, afterApp0));
    stray.set(bytes.subarray(afterApp0), afterApp0 + 2);
    let binary = '';
    bytes.forEach((b) => (binary += String.fromCharCode(b)));
    const base64 = btoa(binary);
    const inputs: Record<string, unknown> = {
      bytes,
      strayBytes: stray,
      upperCaseDataUrl: `DATA:image/jpeg;BASE64,${base64}`,
      percentEncodedDataUrl: `data:image/jpeg;base64,${encodeURIComponent(base64)}`,
    };
    const out: Record<string, number[] | string> = {};
    for (const [kind, input] of Object.entries(inputs)) {
      try {
        const [face] = await window.client.detectFaces(input as Blob);
        out[kind] = face ? [face.box.x, face.box.y, face.box.width] : [];
      } catch (e) {
        out[kind] = String((e as Error).message);
      }
    }
    return out;
  });
  // The plain bytes give a real box (x, y and width of Colin Powell's face in the 250-px photo): inputs that all
  // failed, or all found nothing, would agree with each other too.
  expect(boxes.bytes).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
  expect((boxes.bytes as number[])[2]).toBeGreaterThan(50);
  for (const [kind, box] of Object.entries(boxes)) expect(box, kind).toEqual(boxes.bytes);
});

test('undecodable input says what it is: an empty file, WebP, GIF, HEIC, AVIF, BMP, TIFF, SVG, a 12-bit JPEG, a URL', async ({
  facePage,
}) => {
  const errors = await facePage.evaluate(async () => {
    const c = window.client;
    const ascii = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0));
    const jpeg = await window.fixture('lfw/Colin_Powell_0001.jpg');
    // The frame header's precision byte set to 12 (SOF1: extended sequential).
    const twelveBit = jpeg.slice();
    for (let o = 2; o + 4 < twelveBit.length; o += 2 + ((twelveBit[o + 2]! << 8) | twelveBit[o + 3]!)) {
      if (twelveBit[o + 1] === 0xc0) {
        twelveBit[o + 1] = 0xc1;
        twelveBit[o + 4] = 12;
        break;
      }
    }
    const heic = ascii('\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x40meta');
    const avif = ascii('\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf\0\0\0\x40meta');
    return {
      emptyBytes: await window.errorInfo(() => c.detectFaces(new Uint8Array(0))),
      emptyBlob: await window.errorInfo(() => c.detectFaces(new Blob([]))),
      emptyString: await window.errorInfo(() => c.detectFaces('')),
      webp: await window.errorInfo(() => c.detectFaces(ascii('RIFF\x10\0\0\0WEBPVP8 \0\0\0\0\0\0\0\0'))),
      gif: await window.errorInfo(() => c.detectFaces(ascii('GIF89a\x01\x00\x01\x00\x00\x00\x00;'))),
      heic: await window.errorInfo(() => c.detectFaces(new Blob([heic]))),
      avif: await window.errorInfo(() => c.detectFaces(avif)),
      bmp: await window.errorInfo(() => c.detectFaces(ascii('BM\x36\x10\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0'))),
      tiff: await window.errorInfo(() => c.detectFaces(ascii('II*\0\x08\0\0\0\0\0'))),
      svg: await window.errorInfo(() =>
        c.detectFaces(new Blob(['<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"/>'])),
      ),
      twelveBit: await window.errorInfo(() => c.detectFaces(twelveBit)),
      blobUrl: await window.errorInfo(() => c.detectFaces(URL.createObjectURL(new Blob([jpeg as BlobPart])))),
      httpsUrl: await window.errorInfo(() => c.detectFaces('https://example.com/face.jpg')),
    };
  });
  const expected: Record<keyof typeof errors, RegExp> = {
    emptyBytes: /empty \(0 bytes\)/,
    emptyBlob: /empty \(0 bytes\)/,
    emptyString: /string is empty/,
    webp: /is a WebP file.*<img>/,
    gif: /is a GIF file/,
    heic: /is a HEIC file.*Convert it to JPEG/,
    avif: /is an AVIF file/,
    bmp: /is a BMP file.*createImageBitmap/,
    tiff: /is a TIFF file.*Convert it to JPEG/,
    svg: /is an SVG drawing.*<img>/,
    twelveBit: /12-bit JPEG/,
    blobUrl: /blob: URL.*not fetched/,
    httpsUrl: /https: URL.*not fetched/,
  };
  for (const [name, pattern] of Object.entries(expected)) {
    const info = expectFaceError(errors[name as keyof typeof errors], 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED', 400);
    expect(info.message, name).toMatch(pattern);
  }
});

test('bad arguments are ERR_INVALID_ARGUMENT', async ({ facePage }) => {
  const errors = await facePage.evaluate(async () => {
    const c = window.client;
    const unloaded = new Image();
    const empty = document.createElement('canvas');
    empty.width = 0;
    const video = document.createElement('video');
    // A File changed or deleted on disk since it was picked: reading it fails with NotReadableError.
    class UnreadableFile extends File {
      override arrayBuffer(): Promise<ArrayBuffer> {
        return Promise.reject(new DOMException('The file could not be read', 'NotReadableError'));
      }
    }
    const transferred = new OffscreenCanvas(640, 480);
    new MessageChannel().port1.postMessage(transferred, [transferred]);
    return {
      nullInput: await window.errorInfo(() => c.detectFaces(null as never)),
      number: await window.errorInfo(() => c.detectFaces(42 as never)),
      plainObject: await window.errorInfo(() => c.compareFaces({} as never, {} as never)),
      unloadedImage: await window.errorInfo(() => c.detectFaces(unloaded)),
      emptyCanvas: await window.errorInfo(() => c.detectFaces(empty)),
      videoWithoutFrame: await window.errorInfo(() => c.detectFaces(video)),
      offscreenCanvasNeverDrawn: await window.errorInfo(() => c.detectFaces(new OffscreenCanvas(640, 480))),
      offscreenCanvasTransferred: await window.errorInfo(() => c.detectFaces(transferred)),
      badOptions: await window.errorInfo(() => c.detectFaces(empty, 'fast' as never)),
      unreadableFile: await window.errorInfo(() => c.detectFaces(new UnreadableFile(['x'], 'photo.jpg'))),
      // A misspelt key would otherwise switch the check off without a word.
      misspeltValidateOption: await window.errorInfo(async () =>
        c.validateFace(await window.fixture('lfw/Colin_Powell_0001.jpg'), { validateAttributes: true } as never),
      ),
      misspeltSearchOption: await window.errorInfo(async () =>
        c.searchFace({
          collectionName: 'anything',
          face: await window.fixture('lfw/Colin_Powell_0001.jpg'),
          checkLivenes: true,
        } as never),
      ),
      misspeltTrackerOption: await window.errorInfo(async () => c.createFaceTracker({ livenes: true } as never)),
    };
  });
  for (const [name, info] of Object.entries(errors)) {
    test.info().annotations.push({ type: name, description: info?.message ?? 'no error' });
    expectFaceError(info, 'ERR_INVALID_ARGUMENT', 400);
  }
  expect(errors.offscreenCanvasTransferred?.message).toMatch(/transferred/);
});

test('JPEG bytes in shared memory (a SharedArrayBuffer view) are read like any others', async ({ facePage }) => {
  const result = await facePage.evaluate(async () => {
    if (typeof SharedArrayBuffer === 'undefined' || !crossOriginIsolated) return 'no SharedArrayBuffer here';
    const bytes = await window.fixture('lfw/Colin_Powell_0001.jpg');
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    const [fromShared, fromOwn] = await Promise.all([
      window.client.detectFaces(shared),
      window.client.detectFaces(bytes),
    ]);
    return { shared: fromShared.length, own: fromOwn.length, same: fromShared[0]?.box.x === fromOwn[0]?.box.x };
  });
  expect(result).toEqual({ shared: 1, own: 1, same: true });
});

test('a blank picture (a canvas not drawn on yet) is "no face" with a reason a person can act on', async ({
  facePage,
}) => {
  const errors = await facePage.evaluate(async () => {
    const blank = document.createElement('canvas');
    blank.width = 640;
    blank.height = 480;
    const grey = new ImageData(new Uint8ClampedArray(320 * 240 * 4).fill(128), 320, 240);
    const face = await window.fixture('lfw/Colin_Powell_0001.jpg');
    return Promise.all([
      window.errorInfo(() => window.client.compareFaces(blank, face)),
      window.errorInfo(() => window.client.validateFace(grey)),
    ]);
  });
  for (const e of errors) {
    expectFaceError(e, 'ERR_FACE_NOT_DETECTED');
    expect(e!.metadata).toMatchObject({ reason: 'IMAGE_BLANK' });
    expect(e!.message).toContain('blank');
  }
});

test('undecodable input is ERR_BASE64_IMAGE_CANNOT_BE_DECODED', async ({ facePage }) => {
  const errors = await facePage.evaluate(async () => {
    const c = window.client;
    const jpeg = await window.fixture('lfw/Tony_Blair_0002.jpg');
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x00\x00\x00;');
    // A JPEG whose header is intact but whose scan data is cut off after 600 bytes.
    const truncated = jpeg.slice(0, 600);
    return {
      notBase64: await window.errorInfo(() => c.detectFaces('this is not an image!')),
      base64OfText: await window.errorInfo(() => c.detectFaces(btoa('hello world, not a JPEG'))),
      gifBytes: await window.errorInfo(() => c.detectFaces(gif)),
      gifBlob: await window.errorInfo(() => c.detectFaces(new Blob([gif], { type: 'image/gif' }))),
      dataUrlNotBase64: await window.errorInfo(() => c.detectFaces('data:image/jpeg,abc')),
      truncatedJpeg: await window.errorInfo(() => c.detectFaces(truncated)),
    };
  });
  for (const [name, info] of Object.entries(errors)) {
    test.info().annotations.push({ type: name, description: info?.message ?? 'no error' });
    expectFaceError(info, 'ERR_BASE64_IMAGE_CANNOT_BE_DECODED', 400);
  }
});

test('size limits: ERR_IMAGE_TOO_LARGE and ERR_IMAGE_TOO_SMALL, and the limits are configurable', async ({
  facePage,
}) => {
  const result = await facePage.evaluate(async () => {
    const c = window.client;
    const png = async (w: number, h: number) => {
      const canvas = new OffscreenCanvas(w, h);
      canvas.getContext('2d')!.fillRect(0, 0, 1, 1);
      return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    };
    const bigFile = new Uint8Array(6 * 1024 * 1024);
    bigFile.set([0xff, 0xd8, 0xff, 0xe0]);
    // One byte over the limit: "5.0 MB; the largest accepted is 5.0 MB" would not say what to do.
    const justOver = new Uint8Array(5 * 1024 * 1024 + 1);
    justOver.set([0xff, 0xd8, 0xff, 0xe0]);
    const wide = await png(6100, 200);
    const tiny = await png(100, 100);
    const hugeCanvas = document.createElement('canvas');
    hugeCanvas.width = 6500;
    hugeCanvas.height = 10;
    const lenient = await window.LocalFace.createFaceClient({ imageLimits: { minDimension: 64 } });
    // A page that lowers the pixel cap (e.g. to 24 MP on a phone): 6000×4100 is within 6000 px per side but above
    // it, and is refused from the PNG header alone.
    const capped = await window.LocalFace.createFaceClient({ imageLimits: { maxPixels: 24_000_000 } });
    const manyPixels = await png(6000, 4100);
    const bigCanvas = document.createElement('canvas');
    bigCanvas.width = 5000;
    bigCanvas.height = 5000;
    // Longer than any base64 of 5 MB, and not even base64 at its end: its length alone refuses it, undecoded.
    const hugeBase64 = 'A'.repeat(8 * 1024 * 1024) + '!';
    try {
      return {
        // The contract's largest image (6000×6000, 36 MP) is accepted by default: a blank one is decoded and searched
        // for a face (none), not refused for its size.
        contractLargest: await window.errorInfo(async () =>
          c.compareFaces(await png(6000, 6000), await window.fixture('lfw/Colin_Powell_0001.jpg')),
        ),
        tooManyPixels: await window.errorInfo(() => capped.detectFaces(manyPixels)),
        canvasTooManyPixels: await window.errorInfo(() => capped.detectFaces(bigCanvas)),
        hugeBase64: await window.errorInfo(() => c.detectFaces(hugeBase64)),
        hugeDataUrl: await window.errorInfo(() => c.detectFaces(`data:image/jpeg;base64,${hugeBase64}`)),
        bytes: await window.errorInfo(() => c.detectFaces(bigFile)),
        justOver: await window.errorInfo(() => c.detectFaces(justOver)),
        blobBytes: await window.errorInfo(() => c.detectFaces(new Blob([bigFile]))),
        tooWide: await window.errorInfo(() => c.detectFaces(wide)),
        canvasTooWide: await window.errorInfo(() => c.detectFaces(hugeCanvas)),
        tooSmall: await window.errorInfo(() => c.detectFaces(tiny)),
        // Thin, not small: the message names the side, and says when a taller one would be too long as well.
        strip: await window.errorInfo(async () => c.detectFaces(await png(1000, 100))),
        longStrip: await window.errorInfo(async () => c.detectFaces(await png(10000, 100))),
        // Pixel sources have no minDimension, but a 1-pixel-wide one would give the detector no coordinates.
        sliver: await window.errorInfo(() => c.detectFaces(new ImageData(1, 200))),
        lenientAcceptsSmall: await window.errorInfo(() => lenient.detectFaces(tiny)),
      };
    } finally {
      await lenient.close();
      await capped.close();
    }
  });
  expect(expectFaceError(result.bytes, 'ERR_IMAGE_TOO_LARGE', 413).message).toContain(
    'is 6.0 MB; the largest accepted is 5.0 MB',
  );
  expect(expectFaceError(result.justOver, 'ERR_IMAGE_TOO_LARGE', 413).message).toContain(
    'is 5242881 bytes; the largest accepted is 5242880 bytes',
  );
  expectFaceError(result.blobBytes, 'ERR_IMAGE_TOO_LARGE', 413);
  expectFaceError(result.tooWide, 'ERR_IMAGE_TOO_LARGE', 413);
  expectFaceError(result.canvasTooWide, 'ERR_IMAGE_TOO_LARGE', 413);
  expect(expectFaceError(result.contractLargest, 'ERR_FACE_NOT_DETECTED', 400).metadata).toMatchObject({
    width: 6000,
    height: 6000,
  });
  expect(expectFaceError(result.tooManyPixels, 'ERR_IMAGE_TOO_LARGE', 413).metadata).toEqual({
    width: 6000,
    height: 4100,
  });
  expect(expectFaceError(result.canvasTooManyPixels, 'ERR_IMAGE_TOO_LARGE', 413).message).toContain('MP');
  expect(expectFaceError(result.hugeBase64, 'ERR_IMAGE_TOO_LARGE', 413).message).toContain('MB');
  expectFaceError(result.hugeDataUrl, 'ERR_IMAGE_TOO_LARGE', 413);
  expect(expectFaceError(result.tooSmall, 'ERR_IMAGE_TOO_SMALL', 400).metadata).toEqual({ width: 100, height: 100 });
  expect(expectFaceError(result.sliver, 'ERR_IMAGE_TOO_SMALL', 400).metadata).toEqual({ width: 1, height: 200 });
  expect(expectFaceError(result.tooSmall, 'ERR_IMAGE_TOO_SMALL', 400).message).toContain('Use a larger photo.');
  expect(expectFaceError(result.strip, 'ERR_IMAGE_TOO_SMALL', 400).message).toContain('at least 128 pixels high');
  // Not "crop it to at least 128 pixels high": a crop of a picture 100 pixels high is not higher.
  expect(expectFaceError(result.longStrip, 'ERR_IMAGE_TOO_SMALL', 400).message).toMatch(
    /use a picture of the face at least 128 pixels (high|wide) and at most \d+ pixels (wide|high)/,
  );
  expect(result.lenientAcceptsSmall).toBeNull();
});

test('close() frees the models and a closed client refuses calls; a bad backend option is refused', async ({
  page,
}) => {
  await openHarness(page);
  const errors = await page.evaluate(async () => {
    const tensorsBefore = window.tensorCount();
    const client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
    const tensorsOpen = window.tensorCount();
    const bytes = await window.fixture('lfw/Tony_Blair_0002.jpg');
    // A tracker's tracks hold the face's templates and frames: close() closes the client's trackers too.
    const tracker = client.createFaceTracker();
    const frame = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    await tracker.process(frame, 0);
    const heldTracks = (tracker: unknown) => (tracker as { tracks: unknown[] }).tracks.length;
    const tracksOpen = heldTracks(tracker);
    // Calls already running when close() is called end as they would have; close() resolves after them.
    const detecting = client.detectFaces(bytes);
    const running = [detecting, client.compareFaces(bytes, bytes), client.listCollections()];
    // A second close() resolves only when the first has finished (its caller may delete the database next).
    const first = client.close();
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await client.close();
    const secondWaited = firstDone;
    await first;
    const settled = await Promise.allSettled(running);
    const detected = await detecting.catch(() => []);
    return {
      tensorsBefore,
      tensorsOpen,
      tensorsAfterClose: window.tensorCount(),
      tracksOpen,
      tracksAfterClose: heldTracks(tracker),
      secondWaited,
      runningAtClose: settled.map((r) => (r.status === 'fulfilled' ? 'ok' : String((r.reason as Error).message))),
      faceFound: detected.length === 1,
      closed: await window.errorInfo(() => client.detectFaces(bytes)),
      backend: await window.errorInfo(() => window.LocalFace.createFaceClient({ backend: 'gpu' as never })),
      bigintBackend: await window.errorInfo(() => window.LocalFace.createFaceClient({ backend: 1n as never })),
      badBaseUrl: await window.errorInfo(() => window.LocalFace.createFaceClient({ modelBaseUrl: 'http://' })),
      nullBaseUrl: await window.errorInfo(() => window.LocalFace.createFaceClient({ modelBaseUrl: null as never })),
      queryBaseUrl: await window.errorInfo(() => window.LocalFace.createFaceClient({ modelBaseUrl: '/models?v=2' })),
      // A limit that is not a positive integer used to switch its check off silently.
      nanLimit: await window.errorInfo(() => window.LocalFace.createFaceClient({ imageLimits: { maxBytes: NaN } })),
      nullLimit: await window.errorInfo(() =>
        window.LocalFace.createFaceClient({ imageLimits: { maxDimension: null as never } }),
      ),
      misspeltLimit: await window.errorInfo(() =>
        window.LocalFace.createFaceClient({ imageLimits: { maxbytes: 1 } as never }),
      ),
    };
  });
  expect(errors.runningAtClose).toEqual(['ok', 'ok', 'ok']);
  expect(errors.tracksOpen).toBe(1);
  expect(errors.tracksAfterClose).toBe(0);
  expect(errors.faceFound).toBe(true);
  expectFaceError(errors.closed, 'ERR_INVALID_ARGUMENT');
  expect(errors.secondWaited).toBe(true);
  expectFaceError(errors.backend, 'ERR_INVALID_ARGUMENT');
  expectFaceError(errors.bigintBackend, 'ERR_INVALID_ARGUMENT');
  expect(expectFaceError(errors.badBaseUrl, 'ERR_INVALID_ARGUMENT').message).toContain('modelBaseUrl');
  expectFaceError(errors.nullBaseUrl, 'ERR_INVALID_ARGUMENT');
  expect(expectFaceError(errors.queryBaseUrl, 'ERR_INVALID_ARGUMENT').message).toContain('query');
  expect(expectFaceError(errors.nanLimit, 'ERR_INVALID_ARGUMENT').message).toContain('imageLimits.maxBytes');
  expectFaceError(errors.nullLimit, 'ERR_INVALID_ARGUMENT');
  expectFaceError(errors.misspeltLimit, 'ERR_INVALID_ARGUMENT');
  // close() releases every model tensor the client held.
  expect(errors.tensorsOpen).toBeGreaterThan(errors.tensorsBefore);
  expect(errors.tensorsAfterClose).toBe(errors.tensorsBefore);
});

test('models load only from the model base URL, with progress, and a wrong or altered model is ERR_MODEL_LOAD_FAILED', async ({
  page,
}) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await openHarness(page);
  const result = await page.evaluate(async () => {
    const progress: { stage: string; loaded: number; total: number }[] = [];
    const client = await window.LocalFace.createFaceClient({
      backend: 'wasm',
      modelBaseUrl: '/dist/models/',
      onProgress: (p) => progress.push(p),
    });
    const threads = client.threads;
    await client.close();
    const manifest = (await (await fetch('/dist/models/manifest.json')).json()) as {
      files: { file: string; bytes: number }[];
    };
    return {
      progress,
      threads,
      mobileFaceNetBytes: manifest.files.find((f) => f.file === 'mobilefacenet.tflite')!.bytes,
      embedderBytes: manifest.files
        .filter((f) => ['dlib-resnet128.json', 'dlib-resnet128.bin', 'mobilefacenet.tflite'].includes(f.file))
        .reduce((n, f) => n + f.bytes, 0),
      missing: await window.errorInfo(() => window.LocalFace.createFaceClient({ modelBaseUrl: '/no-such-folder/' })),
    };
  });
  const stages = new Set(result.progress.map((p) => p.stage));
  // 'backend' is the WASM backend's binary, now fetched (and verified) by the library itself.
  expect([...stages].sort()).toEqual(['backend', 'detector', 'embedder']);
  const lastOf = (stage: string) => result.progress.filter((p) => p.stage === stage).at(-1)!;
  expect(lastOf('detector').loaded).toBe(lastOf('detector').total);
  // Each report covers its whole stage: the total is the stage's bytes from the first report on, and loaded only grows,
  // so a progress bar neither reaches its end after the stage's first file nor moves back.
  for (const stage of stages) {
    const reports = result.progress.filter((p) => p.stage === stage);
    expect(new Set(reports.map((p) => p.total)).size, stage).toBe(1);
    reports.forEach((p, i) => expect(p.loaded, stage).toBeGreaterThanOrEqual(i > 0 ? reports[i - 1]!.loaded : 0));
  }
  // Every start-up stage is reported (nothing loaded yet) before the first stage to finish has finished: a bar summing
  // the stages does not fill with the backend's small binary and fall back as the models begin.
  const firstDone = result.progress.findIndex((p) => p.total > 0 && p.loaded === p.total);
  for (const stage of ['detector', 'embedder'])
    expect(
      result.progress.findIndex((p) => p.stage === stage),
      stage,
    ).toBeLessThan(firstDone);
  // MobileFaceNet loads in the embedding Worker (threads 'auto'); its download counts in the stage all the same.
  expect(result.threads).toBe(2);
  expect(lastOf('embedder')).toEqual({ stage: 'embedder', loaded: result.embedderBytes, total: result.embedderBytes });
  expect(result.embedderBytes).toBeGreaterThan(result.mobileFaceNetBytes);
  const missing = expectFaceError(result.missing, 'ERR_MODEL_LOAD_FAILED', 500);
  expect(missing.message).toContain('/no-such-folder/');
  // A server that answers every unknown path with its app page (HTTP 200), as Vite's and most SPA hosts do: the
  // error says so, not "a stale or altered copy".
  await page.route('**/spa-app/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html><body>app</body></html>' }),
  );
  const spa = await page.evaluate(() =>
    window.errorInfo(() => window.LocalFace.createFaceClient({ modelBaseUrl: '/spa-app/models/' })),
  );
  const spaError = expectFaceError(spa, 'ERR_MODEL_LOAD_FAILED', 500);
  expect(spaError.message).toContain('a web page, not the file');
  expect(spaError.message).not.toContain('sha256');

  // An altered weights file (one byte flipped) must be refused, not silently used. (The verified copy the first
  // client cached is dropped, as on a first visit; e2e/modelCache.spec.ts tests an altered cached copy.)
  await page.evaluate(() => caches.delete('localface-models'));
  await page.route('**/dist/models/face-detector-short.bin', async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    body[1000] = body[1000]! ^ 0xff;
    await route.fulfill({ response, body });
  });
  const altered = await page.evaluate(() =>
    window.errorInfo(() => window.LocalFace.createFaceClient({ backend: 'wasm' })),
  );
  const info = expectFaceError(altered, 'ERR_MODEL_LOAD_FAILED', 500);
  expect(info.message).toContain('sha256');
  expect(requests.length).toBeGreaterThan(10);
  // blob: URLs of our own origin are the WASM backend's thread workers.
  expect(requests.filter((u) => !u.startsWith(ORIGIN) && !u.startsWith(`blob:${ORIGIN}/`))).toEqual([]);
});

test('an onProgress callback that throws does not stop the models loading (the page is told of its error); a non-function is refused', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await openHarness(page);
  const result = await page.evaluate(async () => {
    let calls = 0;
    const client = await window.LocalFace.createFaceClient({
      backend: 'wasm',
      onProgress: () => {
        calls++;
        throw new Error('a bug in the progress bar');
      },
    });
    const faces = await client.detectFaces(await window.fixture('lfw/Colin_Powell_0001.jpg'));
    await client.close();
    return {
      calls,
      faces: faces.length,
      notAFunction: await window.errorInfo(() =>
        window.LocalFace.createFaceClient({ onProgress: 'yes' as unknown as () => void }),
      ),
    };
  });
  expect(result.calls).toBeGreaterThan(3);
  expect(result.faces).toBe(1);
  expect(pageErrors.some((m) => m.includes('a bug in the progress bar'))).toBe(true);
  const refused = expectFaceError(result.notAFunction, 'ERR_INVALID_ARGUMENT');
  expect(refused.message).toContain('onProgress');
});

test('the WebAssembly binary is verified too: an altered .wasm is ERR_MODEL_LOAD_FAILED, never a silent fallback', async ({
  browser,
}) => {
  const page = await browser.newPage();
  try {
    // The binary or its .gz copy, whichever the library asks for.
    await page.route(/\/dist\/models\/wasm\/.*\.wasm(\.gz)?$/, async (route) => {
      const response = await route.fetch();
      const body = await response.body();
      body[body.length - 100] = body[body.length - 100]! ^ 0xff;
      await route.fulfill({ response, body });
    });
    await openHarness(page);
    const altered = await page.evaluate(() =>
      window.errorInfo(() => window.LocalFace.createFaceClient({ backend: 'wasm' })),
    );
    const info = expectFaceError(altered, 'ERR_MODEL_LOAD_FAILED', 500);
    expect(info.message).toMatch(/wasm\/tfjs-backend-wasm.*sha256/);
  } finally {
    await page.close();
  }
});

test('on plain HTTP at a LAN address (not a secure context) persons, the tracker, API keys, exports and REST work; encryption says it needs HTTPS', async () => {
  test.setTimeout(240_000);
  // A real insecure page, as http://192.168.1.20/ on a LAN: no crypto.subtle, no crypto.randomUUID, no Cache Storage.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: lanHostArgs('lan-kiosk.test') });
  try {
    const page = await browser.newPage();
    await page.goto(`http://lan-kiosk.test:${HARNESS_PORT}/e2e/pages/harness.html`);
    await page.waitForFunction(() => window.harnessReady === true);
    const r = await page.evaluate(async () => {
      const page = { secure: isSecureContext, subtle: typeof crypto.subtle, randomUUID: typeof crypto.randomUUID };
      const client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName: `lan-${Date.now()}` });
      const colin = await window.fixture('lfw/Colin_Powell_0001.jpg');
      const tony = await window.fixture('lfw/Tony_Blair_0001.jpg');
      await client.createCollection('staff');
      await client.enrollPerson({ collectionName: 'staff', personId: 'colin', personName: 'Colin', face: colin });
      const found = await client.searchFace({
        collectionName: 'staff',
        face: await window.fixture('lfw/Colin_Powell_0002.jpg'),
      });
      const tracker = client.createFaceTracker({ collectionName: 'staff' });
      const frame = await createImageBitmap(new Blob([tony as Uint8Array<ArrayBuffer>]));
      let tracks: { trackId: number }[] = [];
      for (let t = 0; t < 3; t++) tracks = (await tracker.process(frame, t * 100)).tracks;
      const fromTrack = await tracker.enroll(tracks[0]!.trackId, {
        collectionName: 'staff',
        personId: 'tony',
        personName: 'Tony',
      });
      tracker.close();
      const key = await client.apiKeys.create({ name: 'kiosk' });
      const verified = await client.apiKeys.verify(key.key);
      const imported = await client.importCollection(await client.exportCollection('staff'), { name: 'copy' });
      const rest = window.LocalFace.createRestHandler({ client, basePath: '/api/' });
      let binary = '';
      (await window.fixture('lfw/Jennifer_Aniston_0001.jpg')).forEach((b) => (binary += String.fromCharCode(b)));
      const answer = await rest(
        new Request(new URL('/api/faceset/v2/add_face', location.href), {
          method: 'POST',
          headers: { 'X-DF-API-ID': key.keyId, 'X-DF-API-SECRET': key.key, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'staff', image_base64: btoa(binary) }),
        }),
      );
      const encryptedExport = await window.errorInfo(() => client.exportCollection('staff', { passphrase: 'p' }));
      const persons = (await client.listPersons('staff')).persons.map((p) => p.personId).sort();
      await client.close();
      const encryptedClient = await window.errorInfo(() =>
        window.LocalFace.createFaceClient({ backend: 'wasm', encryption: { passphrase: 'p' } }),
      );
      return {
        page,
        found: found.map((h) => h.personId),
        fromTrack: fromTrack.personId,
        verified: verified?.keyId === key.keyId,
        imported: imported.personCount,
        rest: [answer.status, ((await answer.json()) as { status: string; request_id: string }).request_id],
        encryptedExport,
        persons,
        encryptedClient,
      };
    });
    expect(r.page).toEqual({ secure: false, subtle: 'undefined', randomUUID: 'undefined' });
    expect(r.found).toEqual(['colin']);
    expect(r.fromTrack).toBe('tony');
    expect(r.verified).toBe(true);
    expect(r.imported).toBe(2);
    expect(r.rest).toEqual([200, expect.stringMatching(/^TID[0-9a-f]{32}$/)]);
    for (const refused of [r.encryptedExport, r.encryptedClient]) {
      const info = expectFaceError(refused, 'ERR_INTERNAL', 500);
      expect(info.metadata).toEqual({ reason: 'no-webcrypto' });
      expect(info.message).toContain('serve this page over https://');
    }
    // Colin, Tony from the track, and the face the REST call added (a new person); nothing from the refused export.
    expect(r.persons).toHaveLength(3);
  } finally {
    await browser.close();
  }
});

test('without WebCrypto (a page that is not a secure context) model files are still verified', async ({ browser }) => {
  const page = await browser.newPage();
  try {
    // What a plain-http LAN page sees: no crypto.subtle.
    await page.addInitScript(() => Object.defineProperty(globalThis.crypto, 'subtle', { value: undefined }));
    await openHarness(page);
    const works = await page.evaluate(async () => {
      const client = await window.LocalFace.createFaceClient({ backend: 'wasm' });
      const faces = await client.detectFaces(await window.fixture('lfw/Tony_Blair_0002.jpg'));
      await client.close();
      return { subtle: typeof crypto.subtle, faces: faces.length };
    });
    expect(works).toEqual({ subtle: 'undefined', faces: 1 });
    await page.evaluate(() => caches.delete('localface-models'));
    await page.route(/\/dist\/models\/dlib-resnet128\.bin(\.gz)?$/, async (route) => {
      const response = await route.fetch();
      const body = await response.body();
      body[5000] = body[5000]! ^ 0x01;
      await route.fulfill({ response, body });
    });
    const altered = await page.evaluate(() =>
      window.errorInfo(() => window.LocalFace.createFaceClient({ backend: 'wasm' })),
    );
    expect(expectFaceError(altered, 'ERR_MODEL_LOAD_FAILED', 500).message).toContain('sha256');
  } finally {
    await page.close();
  }
});

test('a client whose model download stalls does not hold up the next client for ever', async ({ page }) => {
  test.setTimeout(120_000);
  // A server that never answers: the first client's start waits on its .wasm download, inside its start-up turn.
  let stalledOnWasm!: () => void;
  const stalled = new Promise<void>((resolve) => (stalledOnWasm = resolve));
  await page.route('**/stall/**', (route) => {
    if (/\.wasm(\.gz)?$/.test(new URL(route.request().url()).pathname)) stalledOnWasm();
  });
  await openHarness(page);
  await page.evaluate(() => {
    const w = window as unknown as { stalledSettled: boolean };
    w.stalledSettled = false;
    window.LocalFace.createFaceClient({ modelBaseUrl: new URL('/stall/models/', location.href).href })
      .catch(() => undefined)
      .finally(() => (w.stalledSettled = true));
  });
  await stalled;
  // Client start-ups take turns (they must agree on the page's one backend): the next one starts while the stalled
  // one still waits on its download (not because the download's own time limit ended it first).
  const { backend, stalledSettled } = await page.evaluate(async () => {
    const next = await window.LocalFace.createFaceClient({ threads: 1 });
    const result = {
      backend: next.backend,
      stalledSettled: (window as unknown as { stalledSettled: boolean }).stalledSettled,
    };
    await next.close();
    return result;
  });
  expect(backend).toBe('wasm');
  expect(stalledSettled, 'the stalled client had given up before the next one started').toBe(false);
});
