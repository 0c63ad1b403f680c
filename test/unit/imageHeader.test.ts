import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBase64, readImageHeader, sniffFormat, sniffOtherFormat } from '../../src/face/input/imageHeader';

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
      precision: 8,
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

describe('readImageHeader between JPEG segments, as libjpeg reads them', () => {
  const jpeg = fixture('lfw/Tony_Blair_0001.jpg');
  const afterApp0 = 4 + ((jpeg[4]! << 8) | jpeg[5]!);
  const insert = (extra: number[]) => {
    const out = new Uint8Array(jpeg.length + extra.length);
    out.set(jpeg.subarray(0, afterApp0));
    out.set(extra, afterApp0);
    out.set(jpeg.subarray(afterApp0), afterApp0 + extra.length);
    return out;
  };
  it('skips stray bytes before a marker, fill bytes and stuffed FF 00 pairs, and gives up when no frame header follows', () => {
    for (const extra of [[0, 0], [0x12], [0xff, 0xff], [0xff, 0x00, 0x00], [0x00, 0xff, 0x00, 0x7f]])
      expect(readImageHeader(insert(extra)), JSON.stringify(extra)).toMatchObject({ width: 250, height: 250 });
    const junk = new Uint8Array(100_000);
    junk.set([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0]);
    expect(readImageHeader(junk)).toBeUndefined();
    expect(readImageHeader(new Uint8Array([0xff, 0xd8, ...new Array<number>(4000).fill(0xff)]))).toBeUndefined();
    expect(readImageHeader(jpeg.slice(0, afterApp0 + 3))).toBeUndefined();
  });
  it("reads the frame header's precision (12-bit JPEGs are not decoded by browsers)", () => {
    const twelve = jpeg.slice();
    for (let o = 2; o + 4 < twelve.length; o += 2 + ((twelve[o + 2]! << 8) | twelve[o + 3]!)) {
      if (twelve[o + 1] === 0xc0) {
        twelve[o + 1] = 0xc1;
        twelve[o + 4] = 12;
        break;
      }
    }
    expect(readImageHeader(twelve)).toMatchObject({ width: 250, height: 250, precision: 12 });
  });
});

describe('sniffOtherFormat', () => {
  const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
  it('names WebP, GIF, HEIC and AVIF by their first bytes', () => {
    expect(sniffOtherFormat(ascii('RIFF\x10\0\0\0WEBPVP8 '))).toBe('WebP');
    expect(sniffOtherFormat(ascii('GIF87a\x01\0'))).toBe('GIF');
    expect(sniffOtherFormat(ascii('\0\0\0\x18ftypheic\0\0\0\0mif1heic'))).toBe('HEIC');
    expect(sniffOtherFormat(ascii('\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf'))).toBe('AVIF');
    // A generic HEIF brand: the compatible brands tell which.
    expect(sniffOtherFormat(ascii('\0\0\0\x18ftypmif1\0\0\0\0mif1avif'))).toBe('AVIF');
    expect(sniffOtherFormat(ascii('\0\0\0\x18ftypmif1\0\0\0\0mif1heic'))).toBe('HEIC');
    expect(sniffOtherFormat(ascii('\0\0\0\x14ftypmif1\0\0\0\0mif1'))).toBe('HEIF');
  });
  it('names BMP, TIFF and SVG, which browsers show but the byte decoder does not take', () => {
    expect(sniffOtherFormat(ascii('BM\x36\x10\0\0\0\0\0\0\x36\0\0\0'))).toBe('BMP');
    expect(sniffOtherFormat(ascii('II*\0\x08\0\0\0'))).toBe('TIFF');
    expect(sniffOtherFormat(ascii('MM\0*\0\0\0\x08'))).toBe('TIFF');
    expect(sniffOtherFormat(ascii('<?xml version="1.0"?>\n<!-- x -->\n<svg xmlns="http://www.w3.org/2000/svg">'))).toBe(
      'SVG',
    );
    expect(sniffOtherFormat(ascii('  <svg width="10">'))).toBe('SVG');
    expect(sniffOtherFormat(ascii('<html><body>no drawing</body></html>'))).toBeUndefined();
    expect(sniffOtherFormat(ascii('<!DOCTYPE html><html><body><svg width="9"></svg> Not found</body></html>'))).toBe(
      undefined,
    );
    expect(sniffOtherFormat(ascii('<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"><svg width="9">'))).toBe('SVG');
    // A doctype with an internal subset, whose entities hold '>' (Adobe Illustrator's exports).
    const illustrator =
      '<?xml version="1.0" encoding="utf-8"?>\n<!-- Generator: Adobe Illustrator 16.0.0, SVG Export Plug-In -->\n' +
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n' +
      '\t<!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/">\n]>\n<svg version="1.1" width="200">';
    expect(sniffOtherFormat(ascii(illustrator))).toBe('SVG');
    expect(sniffOtherFormat(ascii('<!DOCTYPE html [ <!ENTITY a "b"> ]><html><svg width="9"></svg></html>'))).toBe(
      undefined,
    );
  });
  it('names nothing else', () => {
    expect(sniffOtherFormat(fixture('lfw/Tony_Blair_0001.jpg'))).toBeUndefined();
    expect(sniffOtherFormat(ascii('RIFF\x10\0\0\0WAVEfmt '))).toBeUndefined();
    expect(sniffOtherFormat(ascii('\0\0\0\x18ftypisom\0\0\0\0isomiso2'))).toBeUndefined();
    expect(sniffOtherFormat(new Uint8Array(0))).toBeUndefined();
  });
});

describe('decodeBase64', () => {
  it('decodes plain and data: URL base64', () => {
    expect(Array.from(decodeBase64('AQID')!)).toEqual([1, 2, 3]);
    expect(Array.from(decodeBase64('data:image/png;base64,AQID')!)).toEqual([1, 2, 3]);
    expect(Array.from(decodeBase64('AQI')!)).toEqual([1, 2]);
  });
  it('reads the data: scheme and base64 in any case, and a percent-encoded payload', () => {
    expect(Array.from(decodeBase64('DATA:image/png;BASE64,AQID')!)).toEqual([1, 2, 3]);
    expect(Array.from(decodeBase64('Data:image/png;base64,AQID')!)).toEqual([1, 2, 3]);
    // [0xfb, 0xff, 0xbf] is '+/+/' in base64; encodeURIComponent writes it %2B%2F%2B%2F.
    expect(Array.from(decodeBase64('data:image/png;base64,%2B%2F%2B%2F')!)).toEqual([0xfb, 0xff, 0xbf]);
    expect(Array.from(decodeBase64('data:image/png;base64,AQ%3D%3D')!)).toEqual([1]);
    expect(decodeBase64('data:image/png;base64,%E0%A4%A')).toBeUndefined();
  });
  it('rejects non-base64', () => {
    expect(decodeBase64('not base64 at all!')).toBeUndefined();
    expect(decodeBase64('')).toBeUndefined();
    expect(decodeBase64('data:image/png,AQID')).toBeUndefined();
  });
});
