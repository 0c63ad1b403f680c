// A photo straight from a phone is often over the library's default limits for an encoded image (5 MB, 36 MP,
// 6000 px a side: the cloud APIs' limits), and a face needs far fewer pixels. The demos scale such a photo down to
// FITTED_LONG_SIDE before handing it over, so a staff member enrolling from a phone's gallery is not told to
// re-encode it first.

/** The library's default imageLimits (docs/api.md, "Image limits"). */
const MAX_BYTES = 5 * 1024 * 1024;
const MAX_SIDE = 6000;
const MAX_PIXELS = 36_000_000;

/** Long side of a scaled-down photo: a face filling a tenth of it is still ~200 px wide. */
export const FITTED_LONG_SIDE = 2560;

/**
 * `photo` itself when the library takes it as it is, else a JPEG of it at most FITTED_LONG_SIDE px long (upright, as
 * the camera's EXIF orientation says). A file the browser cannot decode is returned as it is: the library's error
 * then says what is wrong with it.
 */
export async function fitPhoto(photo: Blob): Promise<Blob> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(photo, { imageOrientation: 'from-image' });
  } catch {
    return photo;
  }
  try {
    const { width, height } = bitmap;
    if (photo.size <= MAX_BYTES && Math.max(width, height) <= MAX_SIDE && width * height <= MAX_PIXELS) return photo;
    const scale = Math.min(1, FITTED_LONG_SIDE / Math.max(width, height));
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)));
    const context = canvas.getContext('2d')!;
    context.imageSmoothingQuality = 'high'; // several-fold down: the default 'low' would alias fine detail
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
  } finally {
    bitmap.close();
  }
}
