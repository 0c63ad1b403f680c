// The page `npm run demo` opens: a newcomer picks two photos and sees faces and the verdict.
import { test, expect } from '@playwright/test';

test('the demo compares two photos picked by the user', async ({ page }) => {
  await page.goto('http://127.0.0.1:5174/demo/');
  await expect(page.getByTestId('status')).toHaveText(/^Ready on (WASM|WEBGL)/, { timeout: 90_000 });
  await page.getByTestId('file-a').setInputFiles('e2e/fixtures/lfw/Serena_Williams_0001.jpg');
  await page.getByTestId('file-b').setInputFiles('e2e/fixtures/lfw/Serena_Williams_0002.jpg');
  await expect(page.getByTestId('result')).toHaveText(/^Same person — similarity (0\.[7-9]\d*|1\.000)/);
  await page.getByTestId('file-b').setInputFiles('e2e/fixtures/lfw/Jennifer_Aniston_0001.jpg');
  await expect(page.getByTestId('result')).toHaveText(/^Different people — similarity 0\.[0-6]/);
  await page.getByTestId('file-b').setInputFiles('e2e/fixtures/no-face.jpg');
  await expect(page.getByTestId('result')).toHaveText(/ERR_FACE_NOT_DETECTED/);
  await page.screenshot({ path: test.info().outputPath('demo.png') });
});
