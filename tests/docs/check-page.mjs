#!/usr/bin/env node
// Checks the DOM of /docs as headless Chromium rendered it (test_page.sh):
// Swagger UI ran (no inline script, own files only, so the page's CSP and
// the bundle work together), and every operation of openapi/openapi.yaml
// is on the page with its operationId, method, path and summary.
//
//   node check-page.mjs DOM.html SPEC

import { readFileSync } from 'node:fs';
import { loadSpecFile, METHODS } from '../contract/lib/contract.mjs';

const [domFile, specFile] = process.argv.slice(2);
const dom = readFileSync(domFile, 'utf8');
const spec = loadSpecFile(specFile);
const unescape = (s) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

let failed = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);
  if (!ok) failed++;
};

check(dom.includes('class="swagger-ui"'), 'Swagger UI rendered into the page');
check(dom.includes(spec.info.title), `the title "${spec.info.title}" is shown`);

// Each rendered operation: its block names the method, the path, the
// operationId and the summary.
const blocks = new Map();
const re = /<div class="opblock opblock-(\w+)[^"]*" id="([^"]*)">([\s\S]*?)<\/button>/g;
let m;
while ((m = re.exec(dom)) !== null) {
  const id = /opblock-summary-operation-id">([^<]*)</.exec(m[3]);
  const path = /data-path="([^"]*)"/.exec(m[3]);
  const summary = /opblock-summary-description">([^<]*)</.exec(m[3]);
  if (id) {
    blocks.set(unescape(id[1]), {
      method: m[1].toUpperCase(),
      path: path ? unescape(path[1]) : null,
      summary: summary ? unescape(summary[1]) : null,
    });
  }
}

const missing = [];
const wrong = [];
let total = 0;
for (const [template, item] of Object.entries(spec.paths ?? {})) {
  for (const method of METHODS) {
    const op = item[method];
    if (!op) continue;
    total++;
    const b = blocks.get(op.operationId);
    if (!b) {
      missing.push(`${method.toUpperCase()} ${template} (${op.operationId})`);
    } else if (b.method !== method.toUpperCase() || b.path !== template || (op.summary && b.summary !== op.summary)) {
      wrong.push(`${op.operationId}: shown as ${b.method} ${b.path} "${b.summary}"`);
    }
  }
}
check(total > 0 && missing.length === 0, `all ${total} operations of the spec are rendered (${blocks.size} found)`);
for (const s of missing) console.log(`    not rendered: ${s}`);
check(wrong.length === 0, 'each shows its method, path and summary');
for (const s of wrong) console.log(`    ${s}`);

console.log(failed === 0 ? 'docs page: passed' : 'docs page: FAILED');
process.exitCode = failed === 0 ? 0 : 1;
