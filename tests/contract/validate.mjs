#!/usr/bin/env node
// Command line of the contract check.
//
//   node validate.mjs [--min-coverage PERCENT] SPEC LOGFILE
//       Checks every recorded exchange (one JSON object per line:
//       {"method","path","status","content_type","body","raw"}, optionally
//       "headers") against the spec. Prints one line per failing exchange,
//       the operations never exercised, "operations exercised: X/Y (P%)"
//       and last "N passed, N failed". Exit 1 if any exchange fails, the log
//       is missing or empty, or fewer than PERCENT of the spec's operations
//       were exercised (default 0: coverage is reported, not required).
//
//   node validate.mjs --routes SPEC ROUTES.json
//       Compares the spec's operations with the routes the services serve
//       (a JSON array of {"method","path"}, optionally with "public" and
//       "roles", or {"routes": [...]}). Exit 1 if either side has an entry
//       the other lacks, or a route's access rules differ from the spec's.
//
//   node validate.mjs --selftest
//       Runs selftest.mjs: proves the checker passes good and fails bad input.
//
// Exit 2: usage error or an unusable spec.

import { readFileSync } from 'node:fs';
import { SpecError, checkRoutes, compileSpec, loadSpecFile } from './lib/contract.mjs';

const USAGE = 'usage: validate.mjs [--min-coverage PERCENT] SPEC LOGFILE | --routes SPEC ROUTES.json | --selftest';

function loadChecker(specFile) {
  return compileSpec(loadSpecFile(specFile));
}

function runLog(specFile, logFile, minCoverage) {
  const checker = loadChecker(specFile);
  let text;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch (e) {
    console.log(`FAIL cannot read exchange log ${logFile}: ${e.code ?? e.message}`);
    console.log('0 passed, 0 failed');
    return 1;
  }

  let passed = 0;
  let failed = 0;
  const hit = new Set();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let ex;
    try {
      ex = JSON.parse(line);
    } catch (e) {
      failed++;
      console.log(`FAIL line ${i + 1}: not JSON: ${e.message}`);
      return;
    }
    const { operation, failures } = checker.checkExchange(ex);
    if (operation) hit.add(operation);
    if (failures.length === 0) {
      passed++;
      return;
    }
    failed++;
    const what = ex && typeof ex === 'object' ? `${ex.method} ${ex.path} ${ex.status}` : JSON.stringify(ex);
    const op = operation ? ` [${operation.operationId}]` : '';
    console.log(`FAIL ${what}${op} (line ${i + 1}): ${failures.join('; ')}`);
  });

  const total = checker.operations.length;
  for (const op of checker.operations) {
    if (!hit.has(op)) console.log(`not exercised: ${op.method} ${op.template} (${op.operationId})`);
  }
  if (passed + failed === 0) console.log(`FAIL exchange log ${logFile} holds no exchanges`);
  const percent = total === 0 ? 100 : Math.floor((hit.size * 1000) / total) / 10;
  console.log(`operations exercised: ${hit.size}/${total} (${percent}%)`);
  // Integer arithmetic: 99.95% of the operations is not 100%.
  const covered = hit.size * 100 >= minCoverage * total;
  if (!covered) {
    const missing = total - hit.size;
    console.log(`FAIL coverage ${hit.size}/${total} is below the required ${minCoverage}% (${missing} operation${missing === 1 ? '' : 's'} not exercised, listed above)`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 && covered ? 0 : 1;
}

function runRoutes(specFile, routesFile) {
  const checker = loadChecker(specFile);
  let routes;
  try {
    routes = JSON.parse(readFileSync(routesFile, 'utf8'));
  } catch (e) {
    console.log(`FAIL cannot read routes ${routesFile}: ${e.code ?? e.message}`);
    return 1;
  }
  if (routes !== null && typeof routes === 'object' && Array.isArray(routes.routes)) routes = routes.routes;
  if (!Array.isArray(routes)) {
    console.log(`FAIL ${routesFile}: expected an array of {"method", "path"}`);
    return 1;
  }
  const r = checkRoutes(checker.operations, routes);
  for (const p of r.problems) console.log(`FAIL ${p}`);
  for (const s of r.onlyServed) console.log(`served but not in the spec: ${s}`);
  for (const s of r.onlySpec) console.log(`in the spec but not served: ${s}`);
  for (const s of r.mismatches) console.log(`access differs: ${s}`);
  console.log(
    `${r.served} routes served, ${r.specified} operations in the spec, ` +
      `${r.onlyServed.length} missing in the spec, ${r.onlySpec.length} missing in the services, ` +
      `${r.mismatches.length} with other access rules`,
  );
  const bad = r.problems.length + r.onlyServed.length + r.onlySpec.length + r.mismatches.length;
  return bad === 0 && r.served > 0 ? 0 : 1;
}

async function main(argv) {
  if (argv[0] === '--selftest' && argv.length === 1) {
    const { runSelftest } = await import('./selftest.mjs');
    return runSelftest();
  }
  if (argv[0] === '--routes' && argv.length === 3) return runRoutes(argv[1], argv[2]);
  let minCoverage = 0;
  if (argv[0] === '--min-coverage') {
    minCoverage = /^[0-9]+(\.[0-9]+)?$/.test(argv[1] ?? '') ? Number(argv[1]) : NaN;
    if (!(minCoverage <= 100)) {
      console.error(`validate: --min-coverage takes a percentage from 0 to 100, got ${JSON.stringify(argv[1])}`);
      return 2;
    }
    argv = argv.slice(2);
  }
  if (argv.length === 2 && !argv[0].startsWith('--')) return runLog(argv[0], argv[1], minCoverage);
  console.error(USAGE);
  return 2;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof SpecError)) throw e;
  console.log(`FAIL spec: ${e.message}`);
  process.exitCode = 2;
}
