// Bad input through every public method (e2e/fuzz/fuzz.mjs): 200 seeded malformed inputs, each answered by a
// FaceError with a specific code (never ERR_INTERNAL, never a raw TypeError/SyntaxError) within 20 s (TIME_LIMIT_MS,
// a guard against hangs), with no tensor growth and nothing stored changed by a failed call. The full run (1,000+) is
// `node bench/fuzz.mjs`.
import { test, expect } from './localface';
import { TIME_LIMIT_MS } from './fuzz/fuzz.mjs';

test('200 malformed inputs to every public method: specific FaceErrors, no hangs, no tensor growth, nothing stored changed', async ({
  facePage,
}) => {
  test.setTimeout(600_000);
  // The generator is a plain module the page imports itself (the harness serves e2e/).
  await facePage.addScriptTag({
    type: 'module',
    content: "import * as fuzz from '/e2e/fuzz/fuzz.mjs'; window.fuzz = fuzz;",
  });
  await facePage.waitForFunction(() => 'fuzz' in window);
  const run = await facePage.evaluate(async () => {
    const fuzz = (window as unknown as { fuzz: typeof import('./fuzz/fuzz.mjs') }).fuzz;
    const seeds = await fuzz.makeSeeds(await window.fixture('lfw/Tony_Blair_0002.jpg'));
    // Warm every lazily loaded model once, so tensors kept by a model (not by a call) are not counted as growth.
    await window.client.detectFaces(seeds.jpeg, { liveness: true });
    const tensorsBefore = window.tensorCount();
    const { results, polluted } = await fuzz.runCases(
      window.client,
      window.LocalFace,
      fuzz.makeCases(20261203, 200, seeds),
      { seeds, timeoutMs: fuzz.TIME_LIMIT_MS },
    );
    return { summary: fuzz.summarize(results), polluted, tensorsBefore, tensorsAfter: window.tensorCount() };
  });
  const { summary } = run;
  test.info().annotations.push({ type: 'codes', description: JSON.stringify(summary.byCode) });
  test.info().annotations.push({
    type: 'slowest',
    description: `${summary.slowest.method} ${summary.slowest.label}: ${Math.round(summary.slowest.ms)} ms`,
  });
  expect(summary.total).toBe(200);
  // Every public method that takes arguments (listCollections and close take none).
  expect(Object.keys(summary.byMethod)).toHaveLength(19);
  console.log(JSON.stringify({ byCode: summary.byCode, slowest: summary.slowest }));
  expect(summary.failures, JSON.stringify(summary.failures.slice(0, 5), null, 1)).toEqual([]);
  expect(summary.byCode.ERR_INTERNAL ?? 0).toBe(0);
  expect(summary.slowest.ms).toBeLessThan(TIME_LIMIT_MS);
  expect(run.polluted).toBe(false);
  expect(run.tensorsAfter).toBe(run.tensorsBefore);
});
