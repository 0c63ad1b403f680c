/**
 * Pure parsing of encoded image headers: format, pixel size and EXIF orientation, read before any decoding so
 * that limits are enforced without allocating a 6000×6000 bitmap first.
 */
export type EncodedFormat = 'jpeg' | 'png';

export interface ImageHeader {
  format: EncodedFormat;
  /** Size as stored in the file. */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 = as stored). PNG: always 1. */
  orientation: number;
  /** Size as displayed, after applying orientation (5..8 swap width and height). */
  displayWidth: number;
  displayHeight: number;
  /** JPEG: bits per sample from the frame header (8 in ordinary files; browsers cannot decode 12 or 16). */
  precision?: number;
}

export function sniffFormat(bytes: Uint8Array): EncodedFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

/**
 * The name of an image format other than JPEG and PNG, told by its first bytes, for an error a person can act on;
 * undefined if the bytes are none of these.
 */
export function sniffOtherFormat(
  b: Uint8Array,
): 'WebP' | 'GIF' | 'HEIC' | 'AVIF' | 'HEIF' | 'BMP' | 'TIFF' | 'SVG' | undefined {
  const text = (start: number, end: number) => String.fromCharCode(...b.subarray(start, end));
  if (b.length >= 12 && text(0, 4) === 'RIFF' && text(8, 12) === 'WEBP') return 'WebP';
  if (b.length >= 4 && text(0, 4) === 'GIF8') return 'GIF';
  if (b.length >= 14 && text(0, 2) === 'BM') return 'BMP';
  if (b.length >= 4 && (text(0, 4) === 'II*\0' || text(0, 4) === 'MM\0*')) return 'TIFF';
  // SVG is text: its first element, after an XML declaration, a doctype and comments, is <svg> (an HTML page with an
  // inline icon is no SVG).
  const start = new TextDecoder()
    .decode(b.subarray(0, 1024))
    .replace(/^\uFEFF/, '')
    .replace(/^(\s*(<\?[\s\S]*?\?>|<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>|<!--[\s\S]*?-->))*\s*/i, '');
  if (/^<svg[\s>]/i.test(start)) return 'SVG';
  // ISO BMFF: box size(4) 'ftyp' major brand(4) minor version(4) compatible brands(4 each).
  if (b.length >= 12 && text(4, 8) === 'ftyp') {
    const boxEnd = Math.min(b.length, new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0));
    const brands = [text(8, 12)];
    for (let o = 16; o + 4 <= Math.min(boxEnd, 16 + 4 * 32); o += 4) brands.push(text(o, o + 4));
    if (brands[0] === 'avif' || brands[0] === 'avis') return 'AVIF';
    if (['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx'].includes(brands[0]!)) return 'HEIC';
    if (brands[0] === 'mif1' || brands[0] === 'msf1') {
      // Generic HEIF: the compatible brands tell AVIF from HEIC.
      if (brands.includes('avif') || brands.includes('avis')) return 'AVIF';
      if (brands.some((brand) => brand.startsWith('hei') || brand.startsWith('hev'))) return 'HEIC';
      return 'HEIF';
    }
  }
  return undefined;
}

/** Returns undefined when the bytes are not a JPEG or PNG whose header gives a size. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  const format = sniffFormat(bytes);
  if (format === 'png') return withOrientation('png', readPngSize(bytes), 1);
  if (format === 'jpeg') {
    const info = readJpegInfo(bytes);
    const header = info && withOrientation('jpeg', info, info.orientation);
    return header && { ...header, precision: info.precision };
  }
  return undefined;
}

function withOrientation(
  format: EncodedFormat,
  size: { width: number; height: number } | undefined,
  orientation: number,
): ImageHeader | undefined {
  if (!size || size.width <= 0 || size.height <= 0) return undefined;
  const swap = orientation >= 5 && orientation <= 8;
  return {
    format,
    width: size.width,
    height: size.height,
    orientation,
    displayWidth: swap ? size.height : size.width,
    displayHeight: swap ? size.width : size.height,
  };
}

function readPngSize(b: Uint8Array): { width: number; height: number } | undefined {
  // IHDR is the first chunk: length(4) 'IHDR'(4) width(4) height(4).
  if (b.length < 24 || String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) !== 'IHDR') return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function readJpegInfo(
  b: Uint8Array,
): { width: number; height: number; orientation: number; precision: number } | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let orientation = 1;
  let offset = 2;
  for (;;) {
    // As libjpeg's next_marker: bytes other than 0xFF before a marker are skipped (browsers decode such files, with
    // a warning), then any 0xFF fill bytes; FF 00 is a stuffed data byte, not a marker. Following the decoder's
    // reading keeps the frame size found here the one it will decode.
    while (offset < b.length && b[offset] !== 0xff) offset++;
    while (offset < b.length && b[offset] === 0xff) offset++;
    if (offset >= b.length) return undefined;
    const marker = b[offset]!;
    const segment = offset + 1; // the segment's length field
    offset = segment;
    if (marker === 0x00 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0xda || marker === 0xd9) return undefined; // scan data before any frame header
    if (segment + 2 > b.length) return undefined;
    const length = view.getUint16(segment);
    if (length < 2 || segment + length > b.length) return undefined;
    if (marker === 0xe1) orientation = readExifOrientation(b, segment + 2, length - 2) ?? orientation;
    // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC) carry the frame size: precision(1) height(2) width(2).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (length < 7) return undefined;
      return {
        precision: b[segment + 2]!,
        height: view.getUint16(segment + 3),
        width: view.getUint16(segment + 5),
        orientation,
      };
    }
    offset = segment + length;
  }
}

/** EXIF APP1 segment: 'Exif\0\0' then a TIFF header; orientation is tag 0x0112 in IFD0. */
export function readExifOrientation(b: Uint8Array, start: number, length: number): number | undefined {
  if (length < 14 || String.fromCharCode(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!) !== 'Exif')
    return undefined;
  const tiff = start + 6;
  const end = start + length;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = b[tiff] === 0x49 && b[tiff + 1] === 0x49;
  if (!little && !(b[tiff] === 0x4d && b[tiff + 1] === 0x4d)) return undefined;
  if (tiff + 8 > end) return undefined;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > end) return undefined;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return undefined;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}

/** Decodes plain base64 or a data: URL to bytes; undefined if it is not valid base64. */
export function decodeBase64(input: string): Uint8Array | undefined {
  const payload = base64Payload(input);
  return payload === undefined ? undefined : decodeBase64Payload(payload);
}

/**
 * The base64 characters of plain base64 or a data: URL, without whitespace, in the standard alphabet and padded;
 * undefined if it is not valid base64.
 */
export function base64Payload(input: string): string | undefined {
  let text = input.trim();
  if (/^data:/i.test(text)) {
    const comma = text.indexOf(',');
    if (comma < 0 || !/;base64$/i.test(text.slice(0, comma))) return undefined;
    text = text.slice(comma + 1);
    // A data: URL may percent-encode its payload (%2B for +, %2F for /, %3D for =), as encodeURIComponent does.
    if (text.includes('%')) {
      try {
        text = decodeURIComponent(text);
      } catch {
        return undefined;
      }
    }
  }
  text = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (text.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) return undefined;
  while (text.length % 4 !== 0) text += '=';
  return text;
}

/** How many bytes a padded base64 payload decodes to, computed without decoding it. */
export function base64DecodedLength(payload: string): number {
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  return (payload.length / 4) * 3 - padding;
}

/**
 * The longest string taken as a possible base64 of `maxBytes`: a data: URL prefix and line breaks included (MIME's
 * CRLF every 76 characters, PEM's every 64, with room for shorter lines), so a longer string is refused before any
 * of it is copied or decoded. Shorter strings get the exact check on their payload.
 */
export function maxBase64Chars(maxBytes: number): number {
  const chars = Math.ceil(maxBytes / 3) * 4;
  return chars + Math.ceil(chars / 16) * 2 + 256;
}

/** The bytes of a payload from base64Payload. */
export function decodeBase64Payload(payload: string): Uint8Array | undefined {
  try {
    const binary = atob(payload);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}
