#!/usr/bin/env node
// Counts Spectral's findings (its JSON report) per part of the spec, so
// that whoever owns a part sees its share at a glance: paths by their
// first segment under /api/v1 (/api/v1/risks/{id} counts for
// /api/v1/risks), components by name; a place a rule reports twice counts
// once. Exit 2 if the report is unreadable.
//
//   node summary.mjs REPORT.json

import { readFileSync } from 'node:fs';

const SEVERITY = ['error', 'warning', 'info', 'hint'];

function area(path) {
  if (path[0] === 'paths' && typeof path[1] === 'string') {
    const m = path[1].match(/^\/api\/v1\/[^/]+/);
    if (m) return m[0];
    if (/^\/(healthz|readyz)(\/|$)/.test(path[1])) return '/healthz, /readyz';
    return path[1];
  }
  if (path[0] === 'components' && path.length >= 3) return `components/${path[1]}/${path[2]}`;
  return path.slice(0, 2).join('/') || '(document)';
}

let findings;
try {
  findings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch (e) {
  console.log(`summary: cannot read the Spectral report: ${e.message}`);
  process.exit(2);
}

const total = [0, 0, 0, 0];
const areas = new Map();
const seen = new Set();
for (const f of findings) {
  // A rule with several checks can report one place more than once.
  const id = `${f.code} ${(f.path ?? []).join('/')}`;
  if (seen.has(id)) continue;
  seen.add(id);
  const sev = f.severity ?? 0;
  total[sev]++;
  if (sev > 1) continue;
  const a = area(f.path ?? []);
  if (!areas.has(a)) areas.set(a, { errors: 0, warnings: 0, rules: new Map() });
  const entry = areas.get(a);
  if (sev === 0) entry.errors++;
  else entry.warnings++;
  const key = `${f.code} (${SEVERITY[sev]})`;
  entry.rules.set(key, (entry.rules.get(key) ?? 0) + 1);
}

console.log(`spectral: ${total[0]} errors, ${total[1]} warnings`);
const rows = [...areas].sort(([a, x], [b, y]) => y.errors - x.errors || y.warnings - x.warnings || a.localeCompare(b));
for (const [a, e] of rows) {
  const rules = [...e.rules].map(([r, n]) => `${r} ${n}`).join(', ');
  console.log(`  ${a}: ${e.errors} errors, ${e.warnings} warnings: ${rules}`);
}
