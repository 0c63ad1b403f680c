// `npm run bench -- report`: the markdown section, the DET plot and the BENCHMARKS.md section from task JSON files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { accuracyTargets, detSvg, fullReport, markedRange, replaceMarked, speedTargets } from '../peers/report.mjs';
import { ROOT, fail, log } from './common.mjs';

export default function taskReport(opts) {
  if (!opts.json.length) fail('report needs --json FILE (one or more)');
  const files = opts.json.map((f) => resolve(f));
  const results = files.map((f) => {
    if (!existsSync(f)) fail(`--json ${f}: no such file`);
    return JSON.parse(readFileSync(f, 'utf8'));
  });
  const rel = (f) => {
    const r = relative(ROOT, f);
    return !r || r.startsWith('..') ? f : r.split('\\').join('/');
  };
  const svgOut = resolve(opts.svg ?? join(ROOT, 'docs/roc-lfw.svg'));
  const mdOut = resolve(opts.md ?? join(ROOT, 'bench/results/peers.md'));
  const benchOut = opts.benchmarks ? resolve(opts.benchmarks) : undefined;
  const accuracy = results.find((r) => r.task === 'accuracy');
  // The markers are checked before anything is written.
  let range;
  if (benchOut) {
    if (!existsSync(benchOut)) fail(`--benchmarks ${rel(benchOut)}: no such file`);
    try {
      range = markedRange(readFileSync(benchOut, 'utf8'), rel(benchOut));
    } catch (e) {
      console.error(`bench report: ${e.message}`);
      process.exit(2);
    }
  }
  // Targets are recomputed from the figures; say so when the JSON recorded another verdict.
  for (const r of results) {
    const now = r.task === 'accuracy' ? accuracyTargets(r) : r.task === 'speed' ? speedTargets(r) : [];
    if (r.targets && r.targets.map((t) => t.ok).join() !== now.map((t) => t.ok).join()) {
      log(
        `note: ${r.task}: the targets stored in the JSON (${r.targets.map((t) => t.ok).join(', ')}) differ from those recomputed from its figures (${now.map((t) => t.ok).join(', ')}); the report shows the recomputed ones`,
      );
    }
  }
  const command = [
    'npm run bench -- report',
    ...files.map((f) => `--json ${rel(f)}`),
    `--md ${rel(mdOut)}`,
    ...(accuracy ? [`--svg ${rel(svgOut)}`] : []),
    ...(benchOut ? [`--benchmarks ${rel(benchOut)}`] : []),
  ].join(' ');
  const sources = files.map(rel);
  const linkFrom = (out) => (p) => relative(dirname(out), join(ROOT, p)).split('\\').join('/');
  if (accuracy) {
    mkdirSync(dirname(svgOut), { recursive: true });
    writeFileSync(svgOut, detSvg(accuracy));
    log(`wrote ${rel(svgOut)}`);
  }
  const section = (out, level) =>
    fullReport(results, {
      level,
      sources,
      command,
      link: linkFrom(out),
      svgPath: accuracy ? relative(dirname(out), svgOut).split('\\').join('/') : undefined,
    });
  const md = section(mdOut, 2);
  mkdirSync(dirname(mdOut), { recursive: true });
  writeFileSync(mdOut, md);
  log(`wrote ${rel(mdOut)}`);
  if (benchOut) {
    writeFileSync(benchOut, replaceMarked(range, section(benchOut, range.level)));
    log(`wrote ${rel(benchOut)} (between the bench:peers markers)`);
  }
  return md;
}
