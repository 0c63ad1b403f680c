// demo/script-tag/: the library through a plain <script> tag (window.LocalFace, no build step), used the way a
// newcomer would — enroll, list, search, delete — with IndexedDB keeping the persons across a reload.
import { test, expect } from '@playwright/test';
import { HARNESS_PORT } from './ports';

const PAGE = `http://127.0.0.1:${HARNESS_PORT}/demo/script-tag/`;
const lfw = (name: string) => `e2e/fixtures/lfw/${name}.jpg`;

test('the script-tag page enrolls, searches, deletes and keeps persons across a reload', async ({ page }) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // The library must never contact another host. data: (thumbnails) and blob: URLs (the WASM threads' workers)
  // stay in the page; a blob: URL's origin is the page's.
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol !== 'data:' && url.origin !== `http://127.0.0.1:${HARNESS_PORT}`)
      problems.push(`request to ${r.url()}`);
  });

  // A clean database each run: delete it before the page opens it again.
  await page.goto(PAGE);
  await page.evaluate(
    () =>
      new Promise((done) => {
        const req = indexedDB.deleteDatabase('localface-script-tag');
        req.onsuccess = req.onerror = req.onblocked = () => done(undefined);
      }),
  );
  await page.reload();
  const status = page.getByTestId('status');
  await expect(status).toHaveText(/^Ready/, { timeout: 90_000 });
  const persons = page.getByTestId('persons').getByTestId('person');
  await expect(persons).toHaveCount(0);

  for (const [name, file] of [
    ['Serena Williams', 'Serena_Williams_0001'],
    ['Tony Blair', 'Tony_Blair_0001'],
  ] as const) {
    // Labelled fields (a placeholder is not a label).
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Photo', { exact: true }).setInputFiles(lfw(file));
    // Enter in the name field enrolls too, as in a form.
    if (name === 'Tony Blair') await page.getByLabel('Name').press('Enter');
    else await page.getByTestId('enroll-button').click();
    await expect(persons.filter({ hasText: name })).toHaveCount(1);
  }
  await expect(persons).toHaveCount(2);
  await expect(page.getByTestId('error')).toBeEmpty();

  const result = page.getByTestId('result');
  await page.getByTestId('search-file').setInputFiles(lfw('Serena_Williams_0002'));
  await expect(result).toHaveText(/^Best match: Serena Williams — similarity (0\.[7-9]\d|1\.00)$/);

  await page.getByTestId('search-file').setInputFiles(lfw('Jennifer_Aniston_0001'));
  await expect(result).toHaveText('No enrolled person matches (threshold 0.70)');

  await page.getByTestId('search-file').setInputFiles('e2e/fixtures/no-face.jpg');
  await expect(page.getByTestId('error')).toHaveText(/^ERR_FACE_NOT_DETECTED: /);
  await expect(page.getByRole('img', { name: /^The searched photo, no-face\.jpg: no face found$/ })).toBeVisible();

  // A file that is not a photo: the library's words (not the browser's decoder error), and the last photo is not
  // left on screen as if it were the one searched.
  await page
    .getByTestId('search-file')
    .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') });
  await expect(page.getByTestId('error')).toHaveText(
    /^ERR_BASE64_IMAGE_CANNOT_BE_DECODED: .*Only JPEG and PNG files are accepted/,
  );
  await expect(page.getByRole('img', { name: 'The searched photo, notes.txt: could not be read' })).toBeAttached();

  // Each Delete button says whom it deletes; the focus then moves to the next one.
  await page.getByRole('button', { name: 'Delete Tony Blair' }).click();
  await expect(persons).toHaveCount(1);
  await expect(persons).toHaveText(/Serena Williams/);
  await expect(page.getByRole('button', { name: 'Delete Serena Williams' })).toBeFocused();

  // IndexedDB keeps the collection and the remaining person.
  await page.reload();
  await expect(status).toHaveText(/^Ready/, { timeout: 90_000 });
  await expect(persons).toHaveCount(1);
  await expect(persons).toHaveText(/Serena Williams/);

  await page.getByTestId('search-file').setInputFiles(lfw('Serena_Williams_0002'));
  await expect(result).toHaveText(/^Best match: Serena Williams/);
  await page.screenshot({ path: test.info().outputPath('script-tag.png'), fullPage: true });
  expect(problems).toEqual([]);
});

test('when the library script does not load, the page says so', async ({ page }) => {
  await page.route('**/localface.iife.js', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto(PAGE);
  await expect(page.getByTestId('status')).toHaveText('Could not start.');
  await expect(page.getByTestId('error')).toHaveText(/did not load: .*npm run build/);
});
