// How many xdomain CASIA frames the single-face path finds a face in (FaceEngine.detect(…, 'largest')). Reporting
// only: nothing is chosen on this data. Usage: node tools/domain-study/count-faces.mjs [--xdomain DIR]
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser } from '../../bench/browser.mjs';
const xArg = process.argv.indexOf('--xdomain');
const XDOMAIN = xArg > 0 ? process.argv[xArg + 1] : '../shared/data/xdomain';
const list = readFileSync(`${XDOMAIN}/ident.tsv`, 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t')[3])
  .filter((p) => p.includes('casia'));
const { server, origin } = await startServer();
const browser = await launchBrowser();
const page = await browser.newPage();
await page.route('**/xd/**', (route) =>
  route.fulfill({
    body: readFileSync(`${XDOMAIN}/` + decodeURIComponent(new URL(route.request().url()).pathname.split('/xd/')[1])),
    contentType: 'image/jpeg',
  }),
);
await page.goto(`${origin}/tools/domain-study/page.html`);
await page.waitForFunction(() => 'nn' in window);
await page.evaluate(() => window.nn.init());
const r = await page.evaluate(
  (u) => window.nn.detectAll(u),
  list.map((l) => `/xd/${l}`),
);
const missing = Object.entries(r).filter(([, w]) => w == null);
console.log(
  `${list.length - missing.length}/${list.length} CASIA frames with a face; missing: ${missing.map(([k]) => k).join(' ')}`,
);
for (const k of ['casia_019/casia_019_0', 'casia_003/casia_003_4', 'casia_019/casia_019_2'])
  console.log(k, r[`/xd/casia_facev5/${k}.jpg`]);
await browser.close();
await server.close();
