#!/usr/bin/env node
// Turns the statements one API request ran (PostgreSQL's statement log,
// log_statement = all, log_line_prefix = '@@%p %u@@ ') into a pgbench
// script that runs the same statements with the same parameters in the
// same transaction, all in one pipeline: the ceiling for that request.
//
//   node capture.mjs LOG_SLICE SCRIPT_OUT DEFINES_OUT
//
// SCRIPT_OUT gets the script; DEFINES_OUT one "name=value" per line for
// pgbench -D. Parameters become pgbench variables (:s<statement>p<n>);
// NULL parameters become the literal NULL. A parameter that is a fresh
// secret's hash (64 hex digits: a new refresh token's SHA-256) becomes the
// hash of a random number per transaction, so that the replay inserts a
// new token each time as the service does. Exit 1 when the slice holds
// no transaction of the service role.
import { readFileSync, writeFileSync } from 'node:fs';

const [slicePath, scriptPath, definesPath] = process.argv.slice(2);
const lines = readFileSync(slicePath, 'utf8').split('\n');

// Entries: { pid, user, text } with continuation lines folded in.
const entries = [];
for (const line of lines) {
  const m = line.match(/^@@(\d+) (\S*)@@ (.*)$/);
  if (m) entries.push({ pid: m[1], user: m[2], text: m[3] });
  else if (entries.length && line !== '') entries[entries.length - 1].text += '\n' + line;
}

// Statements with their parameters, per backend.
const byPid = new Map();
for (const [at, e] of entries.entries()) {
  if (e.user !== 'isms_app') continue;
  const stmt = e.text.match(/^LOG:\s+(?:execute [^:]+|statement): ([\s\S]*)$/);
  const list = byPid.get(e.pid) ?? [];
  if (stmt) {
    list.push({ sql: stmt[1].trim(), params: new Map(), at });
    byPid.set(e.pid, list);
    continue;
  }
  const detail = e.text.match(/^DETAIL:\s+parameters: ([\s\S]*)$/);
  if (detail && list.length) {
    const re = /\$(\d+) = (NULL|'((?:[^']|'')*)')/g;
    let p;
    while ((p = re.exec(detail[1])) !== null)
      list[list.length - 1].params.set(p[1], p[2] === 'NULL' ? null : p[3].replaceAll("''", "'"));
  }
}

// The request's transaction: the last one in the slice (run.sh waits for
// the previous load to drain before it turns the log on), from its BEGIN
// to its COMMIT or ROLLBACK. Readiness probes run SELECT 1 outside any
// transaction.
let tx = null;
for (const list of byPid.values()) {
  for (let first = 0; first < list.length; first++) {
    if (!/^BEGIN\b/i.test(list[first].sql)) continue;
    let last = first + 1;
    while (last < list.length && !/^(COMMIT|ROLLBACK)\b/i.test(list[last].sql)) last++;
    if (last < list.length && (!tx || list[first].at > tx[0].at)) tx = list.slice(first, last + 1);
  }
}
if (!tx) {
  console.error('capture: no transaction of isms_app in the log slice');
  process.exit(1);
}

const defines = [];
let randoms = 0;
const script = ['\\startpipeline'];
tx.forEach((s, i) => {
  // pgbench reads :name as a variable even inside a string literal (a
  // to_char() format's HH24:MI:SS): such a literal becomes a variable too.
  let literals = 0;
  const text = s.sql.replace(/'(?:[^']|'')*'/g, (lit) => {
    if (!/:[A-Za-z_]/.test(lit)) return lit;
    const name = `s${i + 1}l${++literals}`;
    defines.push(`${name}=${lit.slice(1, -1).replaceAll("''", "'")}`);
    return `:${name}`;
  });
  const sql = text.replace(/\$(\d+)\b/g, (_, n) => {
    if (!s.params.has(n)) throw new Error(`capture: no value for $${n} in: ${s.sql}`);
    const v = s.params.get(n);
    if (v === null) return 'NULL';
    if (v === '') return "''"; // pgbench -D takes no empty value
    if (/^[0-9a-f]{64}$/.test(v)) {
      randoms++;
      script.splice(0, 0, `\\set r${randoms} random(1, 9223372036854775806)`);
      return `encode(sha256(convert_to(:r${randoms}::text, 'UTF8')), 'hex')`;
    }
    const name = `s${i + 1}p${n}`;
    defines.push(`${name}=${v}`);
    return `:${name}`;
  });
  if (sql.includes('\n')) throw new Error(`capture: a statement spans lines: ${sql}`);
  script.push(`${sql};`);
});
script.push('\\endpipeline');
writeFileSync(scriptPath, script.join('\n') + '\n');
writeFileSync(definesPath, defines.join('\n') + (defines.length ? '\n' : ''));
console.log(`capture: ${tx.length} statements, ${defines.length} parameters`);
