// The same LFW face alone and in a 750×250 collage of three photos: how much the collage changes its fused raw
// score against the person's other photo, with and without re-detecting each group face on a portrait-like crop.
// Usage: node tools/domain-study/collage-scan.mjs [COUNT] [--lfw DIR]   (DIR holds pairs_subset.txt and images/)
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser } from '../../bench/browser.mjs';
const lfwArg = process.argv.indexOf('--lfw');
const LFW = lfwArg > 0 ? process.argv[lfwArg + 1] : '../shared/data/lfw';
const lines = readFileSync(`${LFW}/pairs_subset.txt`, 'utf8')
  .split('\n')
  .map((l) => l.trim().split(/\s+/))
  .filter((f) => f.length === 3);
const img = (n, i) => `/lfw/${n}/${n}_${String(i).padStart(4, '0')}.jpg`;
const N = Number(process.argv[2] ?? 40);
const pairs = [];
for (let k = 0; k < N; k++) {
  const f = lines[(k * 7) % lines.length],
    g = lines[(k * 13 + 5) % lines.length],
    h = lines[(k * 17 + 9) % lines.length];
  pairs.push([img(f[0], f[1]), img(f[0], f[2]), img(g[0], g[1]), img(h[0], h[2])]);
}
const { server, origin } = await startServer();
const browser = await launchBrowser();
const page = await browser.newPage();
await page.route('**/lfw/**', (route) =>
  route.fulfill({
    body: readFileSync(
      `${LFW}/images/` + decodeURIComponent(new URL(route.request().url()).pathname.split('/lfw/')[1]),
    ),
    contentType: 'image/jpeg',
  }),
);
await page.goto(`${origin}/tools/domain-study/page.html`);
await page.waitForFunction(() => 'nn' in window);
await page.evaluate(() => window.nn.init());
const off = await page.evaluate((p) => window.nn.scan(p, false), pairs);
const on = await page.evaluate((p) => window.nn.scan(p, true), pairs);
const stat = (rows) => {
  const d = rows.filter((r) => r.collage != null).map((r) => r.collage - r.single);
  d.sort((a, b) => a - b);
  return {
    n: d.length,
    missing: rows.filter((r) => r.collage == null).length,
    meanDiff: d.reduce((s, x) => s + x, 0) / d.length,
    worst: d.slice(0, 5).map((x) => x.toFixed(2)),
    meanAbs: d.reduce((s, x) => s + Math.abs(x), 0) / d.length,
  };
};
console.log('without refine', JSON.stringify(stat(off)));
console.log('with refine', JSON.stringify(stat(on)));
off.forEach((r, i) => {
  if (r.collage != null && r.collage - r.single < -0.8)
    console.log(r.a1, r.a2, r.single.toFixed(2), r.collage.toFixed(2), on[i].collage?.toFixed(2));
});
await browser.close();
await server.close();
