import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBase64, readImageHeader, sniffFormat } from '../../src/face/input/imageHeader';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../e2e/fixtures/${name}`, import.meta.url)));

describe('readImageHeader', () => {
  it('reads the size of a baseline JPEG', () => {
    const h = readImageHeader(fixture('lfw/Tony_Blair_0001.jpg'));
    expect(h).toMatchObject({ format: 'jpeg', width: 250, height: 250, orientation: 1 });
  });
  it('reports EXIF orientation and the displayed size', () => {
    // Stored 640×480 with orientation 6 (rotate 90° clockwise to display): displayed 480×640.
    expect(readImageHeader(fixture('exif-rotated.jpg'))).toEqual({
      format: 'jpeg',
      width: 640,
      height: 480,
      orientation: 6,
      displayWidth: 480,
      displayHeight: 640,
    });
  });
  it('reads PNG IHDR', () => {
    const png = new Uint8Array([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0, 0, 0, 0, 200, 8,
      2, 0, 0, 0,
    ]);
    expect(readImageHeader(png)).toMatchObject({
      format: 'png',
      width: 256,
      height: 200,
      orientation: 1,
      displayWidth: 256,
    });
  });
  it('rejects other formats and truncated headers', () => {
    expect(sniffFormat(new TextEncoder().encode('GIF89a......'))).toBeUndefined();
    expect(readImageHeader(new TextEncoder().encode('GIF89a......'))).toBeUndefined();
    expect(readImageHeader(fixture('lfw/Tony_Blair_0001.jpg').slice(0, 20))).toBeUndefined();
  });
});

describe('decodeBase64', () => {
  it('decodes plain and data: URL base64', () => {
    expect(Array.from(decodeBase64('AQID')!)).toEqual([1, 2, 3]);
    expect(Array.from(decodeBase64('data:image/png;base64,AQID')!)).toEqual([1, 2, 3]);
    expect(Array.from(decodeBase64('AQI')!)).toEqual([1, 2]);
  });
  it('rejects non-base64', () => {
    expect(decodeBase64('not base64 at all!')).toBeUndefined();
    expect(decodeBase64('')).toBeUndefined();
    expect(decodeBase64('data:image/png,AQID')).toBeUndefined();
  });
});
