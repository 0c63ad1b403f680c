#!/usr/bin/env node
// `npm run bench -- <task> [options]`: LocalFace side by side with @vladmandic/face-api and @vladmandic/human, in
// headless Debian chromium. Each library runs in its own page and browser context (each bundles its own TF.js),
// loads its models from the local Vite server only, and is called the way its documentation shows (see
// bench/peers/*.ts). Writes JSON with --json FILE and a markdown summary to stdout; progress goes to stderr.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { taskMarkdown } from './peers/report.mjs';
import { ROOT, USAGE, fail, log } from './tasks/common.mjs';

function parseArgs(argv) {
  const flags = new Set(['peers', 'no-peers', 'require', 'help', 'no-startup']);
  const opts = { json: [] };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const key = a.slice(2);
    if (flags.has(key)) opts[key] = true;
    else {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      if (key === 'json') opts.json.push(v);
      else opts[key] = v;
    }
  }
  return { task: positional[0], rest: positional.slice(1), opts };
}

/** One module per task in bench/tasks/, loaded on demand (report needs no browser). */
const TASKS = ['accuracy', 'identify', 'speed', 'search', 'startup'];

async function main() {
  const argv = process.argv.slice(2);
  const { task, opts } = parseArgs(argv);
  if (!task || opts.help) {
    console.log(USAGE);
    return task ? 0 : 2;
  }
  if (opts.select && !['center', 'largest'].includes(opts.select)) fail('--select must be center or largest');
  if (opts.backend && !['wasm', 'webgl'].includes(opts.backend)) fail('--backend must be wasm or webgl');
  if (opts.limit !== undefined && !(Number(opts.limit) >= 1)) fail('--limit must be a positive number');
  if (opts['peer-wasm-threads'] !== undefined) {
    if (!['auto', '1'].includes(opts['peer-wasm-threads'])) fail('--peer-wasm-threads must be auto or 1');
    process.env.BENCH_PEER_WASM_THREADS = opts['peer-wasm-threads'];
  }
  if (task === 'fuzz') {
    // Robustness, not a comparison: bench/fuzz.mjs prints its own summary.
    const { spawnSync } = await import('node:child_process');
    return (
      spawnSync(process.execPath, [resolve(ROOT, 'bench/fuzz.mjs'), ...argv.slice(1)], { stdio: 'inherit' }).status ?? 1
    );
  }
  if (task === 'report') {
    const { default: taskReport } = await import('./tasks/report.mjs');
    console.log(taskReport(opts));
    return 0;
  }
  const command = `npm run bench -- ${argv.join(' ')}`;
  const started = Date.now();
  if (!TASKS.includes(task)) fail(`unknown task ${task}`);
  const { default: runTask } = await import(`./tasks/${task}.mjs`);
  const result = await runTask(opts, argv);
  result.command = command;
  result.seconds = (Date.now() - started) / 1000;
  if (opts.json.length) {
    const out = resolve(opts.json[0]);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
    log(`wrote ${relative(ROOT, out) || out}`);
  }
  console.log(taskMarkdown(result));
  return result.exitCode ?? 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
