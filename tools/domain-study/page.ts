// Study page for collage-scan.mjs and count-faces.mjs: LocalFace's engine on images the runner serves.
import { ModelFiles } from '../../src/models/modelFiles';
import { FaceEngine } from '../../src/face/engine';
import { decodeImage } from '../../src/face/input/decode';
let engine: FaceEngine;
async function init() {
  engine = await FaceEngine.create({ files: new ModelFiles('/models/'), backend: 'wasm' });
}
async function bytes(url: string) {
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}
async function collage(urls: string[]) {
  const imgs = await Promise.all(urls.map(async (u) => createImageBitmap(await (await fetch(u)).blob())));
  const c = new OffscreenCanvas(250 * urls.length, 250);
  imgs.forEach((im, i) => c.getContext('2d')!.drawImage(im, 250 * i, 0, 250, 250));
  return new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.95 })).arrayBuffer());
}
async function study(urls: string[]) {
  const out: unknown[] = [];
  const singles = [];
  for (const u of urls) {
    const d = await decodeImage(await bytes(u));
    const faces = await engine.detect(d.pixels, 'largest');
    const [t] = await engine.embed(d.pixels, faces.slice(0, 1));
    singles.push({ face: faces[0], t });
    d.pixels.dispose();
  }
  const d = await decodeImage(await collage(urls));
  const all = await engine.detect(d.pixels, 'all');
  const temps = await engine.embed(d.pixels, all);
  // Also the largest-mode detector on each 250-px third of the collage.
  for (let i = 0; i < urls.length; i++) {
    const s = singles[i]!;
    const cx = s.face!.box.x + 250 * i;
    const j = all.findIndex((f) => Math.abs(f.box.x - cx) < 40);
    const f = all[j];
    out.push({
      url: urls[i],
      single: { box: s.face!.box, kp: s.face!.keypoints, score: s.face!.score },
      collage: f && {
        box: { ...f.box, x: f.box.x - 250 * i },
        kp: Object.fromEntries(Object.entries(f.keypoints).map(([k, p]) => [k, { x: p.x - 250 * i, y: p.y }])),
        score: f.score,
      },
      sim: f ? engine.matcher.raw(s.t!, temps[j]!) : null,
    });
  }
  d.pixels.dispose();
  return { faces: all.length, out };
}
async function scan(pairs: [string, string, string, string][], refine: boolean) {
  // The study switches the engine's group-face refinement off and on (a private method of its detector).
  const det = (engine as unknown as { detector: { refine: unknown; __origRefine?: unknown } }).detector;
  const orig = det.__origRefine ?? (det.__origRefine = det.refine);
  det.refine = refine ? orig : async (_: unknown, f: unknown) => f;
  const tmpl = async (u: string) => {
    const d = await decodeImage(await bytes(u));
    const f = await engine.detect(d.pixels, 'largest');
    const [t] = await engine.embed(d.pixels, f.slice(0, 1));
    d.pixels.dispose();
    return { t, f: f[0] };
  };
  const rows = [];
  for (const [a1, a2, x, y] of pairs) {
    const A1 = await tmpl(a1),
      A2 = await tmpl(a2);
    if (!A1.t || !A2.t) continue;
    const d = await decodeImage(await collage([x, a2, y]));
    const all = await engine.detect(d.pixels, 'all');
    const j = all.findIndex((f) => f.box.x + f.box.width / 2 > 250 && f.box.x + f.box.width / 2 < 500);
    const temps = await engine.embed(d.pixels, all);
    rows.push({
      a1,
      a2,
      single: engine.matcher.raw(A1.t, A2.t),
      collage: j >= 0 ? engine.matcher.raw(A1.t, temps[j]!) : null,
    });
    d.pixels.dispose();
  }
  return rows;
}
async function detectAll(urls: string[]) {
  const out: Record<string, number | null> = {};
  for (const u of urls) {
    const d = await decodeImage(await bytes(u));
    const f = await engine.detect(d.pixels, 'largest');
    out[u] = f[0] ? Math.round(f[0].box.width) : null;
    d.pixels.dispose();
  }
  return out;
}
(window as unknown as { nn: unknown }).nn = { init, study, scan, detectAll };
