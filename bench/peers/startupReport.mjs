// Markdown for the start-up and bytes measurement (bench/tasks/startup.mjs): a pure function of its JSON.
const mb = (b) => (b === undefined ? '' : (b / 1e6).toFixed(2));
const ms = (x) => (x === undefined ? '' : x.toFixed(0));

export function startupMarkdown(s, level = 3) {
  const out = [`${'#'.repeat(level)} Start-up and bytes (built library, static server, fresh profile)`, ''];
  out.push(
    '| visit | page JS (ms) | createFaceClient (ms) | first compareFaces (ms) | first result since navigation (ms) | second compareFaces (ms) | bytes before the first result (MB) | same, gzip (MB) | model requests |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, v] of [
    ['first (cold)', s.cold],
    ['second (warm model cache)', s.warm],
  ])
    out.push(
      `| ${name} | ${ms(v.pageMs)} | ${ms(v.createMs)} | ${ms(v.firstCompareMs)} | ${ms(v.firstResultSinceNavigationMs)} | ${ms(v.secondCompareMs)} | ${mb(v.bytesBeforeFirstResult)} | ${mb(v.gzipBytesBeforeFirstResult)} | ${v.modelRequests} |`,
    );
  out.push('', 'Files of the first visit, in request order:', '');
  out.push('| file | used by | bytes (MB) | gzip (MB) | load (ms) |');
  out.push('|---|---|---:|---:|---:|');
  for (const f of s.cold.files)
    out.push(
      `| ${f.file} | ${f.phase} | ${mb(f.bytes)} | ${mb(f.gzipBytes)} | ${ms(f.ms)}${f.failed ? ` (failed: ${f.failed})` : ''} |`,
    );
  if (s.warm.files.length) {
    out.push('', 'Second visit requests:', '');
    out.push(s.warm.files.map((f) => `${f.file} (${mb(f.bytes)} MB, ${f.phase})`).join(', '));
  }
  out.push(
    '',
    `- Library ${s.lib}; backend ${s.cold.backend}; bytes = each response body as the server sent it, for the page and its Workers (the server does not compress; gzip = the same file gzipped at level 6, what a compressing server would send). "used by" = the call during which the request arrived; the checks' row shows what a detectFaces with quality, attributes and liveness loads on first use.`,
    `- Load during the run: ${s.load ? `${s.load.othersMeanCores?.toFixed(2)} cores used by other processes on average (max ${s.load.othersMaxCores?.toFixed(2)})` : 'unknown'}.`,
  );
  if (s.cold.costs)
    out.push(
      `- Checking a cached copy: WebCrypto SHA-256 of ${mb(s.cold.costs.hashBytes)} MB took ${ms(s.cold.costs.sha256Ms)} ms; compiling the WASM backend's binary (${mb(s.cold.costs.wasmBytes)} MB) from bytes ${ms(s.cold.costs.wasmCompileMs)} ms.`,
    );
  if (s.checkin) {
    const c = s.checkin;
    out.push(
      '',
      `Check-in PWA (demo-dist/checkin/): first visit ${mb(c.firstVisitBytes)} MB sent by the server (page and service worker) until "${c.offlineText}" (ready ${ms(c.readyMs)} ms, offline cache ready ${ms(c.offlineReadyMs)} ms); second visit ${mb(c.secondVisitBytes)} MB.`,
      '',
      '| file | bytes (MB) | requests |',
      '|---|---:|---:|',
      ...c.firstVisitFiles.map((f) => `| ${f.path} | ${mb(f.bytes * f.times)} | ${f.times} |`),
    );
  }
  return out.join('\n');
}
