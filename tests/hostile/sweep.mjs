#!/usr/bin/env node
// The hostile input sweep: every route of every service, as the services'
// own route tables list them (hostile_routes), gets input no client should
// send, through nginx, and every answer is checked: a status below 500
// (a 502, 503 or 504 included: none is acceptable here), an RFC 9457
// problem document (application/problem+json with type, title and the same
// status) for every 4xx, and afterwards every service still answers
// /readyz and no service process was restarted (a crash hidden by the
// second process or the supervisor would otherwise pass unseen).
//
// For each route, as an admin of a fresh tenant (a viewer and no token as
// well for a few cases):
//   path ids      a record's real id where one could be created, a random
//                 UUID, and ids that are not UUIDs: text, SQL, %00, invalid
//                 UTF-8 (encoded and raw), 20-digit and negative numbers,
//                 3000 characters
//   query         each of the route's parameters set to SQL metacharacters
//                 (' " ; -- /* */ \ and two injections), 99999999999999999999,
//                 -1, -99999999999999999999, 1e309, empty, 1000 characters,
//                 and repeated; once per route %00, invalid and overlong
//                 UTF-8 and a bad escape (the common parser refuses those
//                 for every parameter alike), limit=99999999999999999999,
//                 an unknown parameter
//   body (routes that take one)
//                 malformed JSON, a JSON value that is not an object, a
//                 valid body (from openapi.yaml, or the fields a 422 names
//                 as required) with an unknown field, with each field set
//                 to every wrong type, to SQL metacharacters, to numbers
//                 that are negative, fractional or overflow 64 bits, to a
//                 NUL escape, a lone surrogate and 100,000 characters; raw
//                 invalid UTF-8; 10,000-deep arrays and objects; a 10 MB
//                 body; no or another content type; for raw-body routes
//                 (CSV import, evidence files) malformed and hostile CSV
//   headers       Idempotency-Key and If-Match that are malformed or huge
//
// The cases come from several loopback addresses (127.0.0.2 to .9), as
// from several clients, so that nginx's per-client rate limits do not
// stop most of them before they reach a service; a 429 all the same is
// sent again after its Retry-After (it is not a finding, and the case
// has not been tried yet).
//
// Nothing is recorded for the contract check (these exchanges are not the
// documented ones), but statuses the spec does not declare for an
// operation are listed at the end, for the spec's owners.
//
// Usage: node sweep.mjs HOSTILE_ROUTES SPEC
//   HOSTILE_ROUTES  the hostile_routes program (routes and fixtures)
// Environment: ISMS_ENV_FILE (the stack's isms.env). Exit 1 on any finding.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../contract/package.json'));
const YAML = require('yaml');

const [routesProgram, specFile] = process.argv.slice(2);
if (!routesProgram || !specFile) {
  console.error('usage: sweep.mjs HOSTILE_ROUTES SPEC');
  process.exit(2);
}

// ------------------------------------------------------------ environment

function readEnvFile(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export )?([A-Z_][A-Z0-9_]*)='(.*)'$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

const envFile = process.env.ISMS_ENV_FILE;
if (!envFile) {
  console.error('sweep: ISMS_ENV_FILE is not set');
  process.exit(2);
}
const stackEnv = readEnvFile(envFile);
const base = new URL(stackEnv.ISMS_HTTP_URL);
const runDir = join(stackEnv.ISMS_VAR, 'run');

// ------------------------------------------------------------------ HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
let requests = 0;
let sources = [];
let nextSource = 0;
let throttled = 0;

// One exchange; never rejects: a transport failure is status 0.
function sendOnce({ method, path, token, type, body, headers = {}, expectContinue = false, from }) {
  requests++;
  return new Promise((resolve) => {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    if (type !== undefined) h['Content-Type'] = type;
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (payload !== undefined) h['Content-Length'] = payload.length;
    if (expectContinue) h.Expect = '100-continue';
    let settled = false;
    const done = (r) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    let req;
    try {
      req = http.request({
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: h,
        agent: expectContinue ? false : agent,
        localAddress: from,
        timeout: 60000,
        insecureHTTPParser: false,
      });
    } catch (e) {
      done({ status: -1, error: `request refused by the client: ${e.message}` });
      return;
    }
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        done({
          status: res.statusCode,
          type: res.headers['content-type'] ?? '',
          retryAfter: Number(res.headers['retry-after'] ?? 1),
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', (e) => done({ status: 0, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => done({ status: 0, error: e.message }));
    if (expectContinue) {
      req.on('continue', () => req.end(payload));
      req.flushHeaders();
    } else {
      req.end(payload);
    }
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Sends from the next source address; a 429 is waited out and sent again.
async function send(req) {
  const from = sources.length ? sources[nextSource++ % sources.length] : undefined;
  for (let i = 0; ; i++) {
    const r = await sendOnce({ ...req, from });
    if (r.status !== 429 || i === 10) return r;
    throttled++;
    await sleep(1000 * Math.min(Math.max(r.retryAfter || 1, 1), 5));
  }
}

// The loopback addresses this host lets us send from.
async function findSources() {
  const ok = [];
  for (let i = 2; i <= 9; i++) {
    const r = await sendOnce({ method: 'GET', path: '/healthz', from: `127.0.0.${i}` });
    if (r.status === 200) ok.push(`127.0.0.${i}`);
  }
  return ok;
}

// --------------------------------------------------------------- the spec

const spec = YAML.parse(readFileSync(specFile, 'utf8'));

function deref(s) {
  const seen = new Set();
  while (s && typeof s === 'object' && typeof s.$ref === 'string') {
    if (seen.has(s.$ref)) return {};
    seen.add(s.$ref);
    s = s.$ref
      .slice(2)
      .split('/')
      .reduce((o, k) => (o ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), spec);
  }
  return s ?? {};
}

const norm = (p) => p.replace(/\{[^}]+\}/g, '{}');
const specOps = new Map();
for (const [p, item] of Object.entries(spec.paths ?? {})) {
  for (const [m, op] of Object.entries(item)) {
    if (['get', 'put', 'post', 'patch', 'delete'].includes(m)) specOps.set(`${m.toUpperCase()} ${norm(p)}`, op);
  }
}

// Ids a valid body can name: the admin for people, records made here.
const known = { user: null, asset: null };

// A valid-looking value for a schema (of the property name): its first
// enum value, const, example, or one built from its type and format;
// references to people and assets name real ones, slugs are fresh.
// required: only the required properties of objects.
function sample(schema, depth = 0, name = '', requiredOnly = false) {
  const s = deref(schema);
  if (/(^|_)(owner|custodian|user|approver|auditor|assignee)(_id)?$/.test(name) && known.user) {
    return s.type === 'array' || (Array.isArray(s.type) && s.type.includes('array')) ? [known.user] : known.user;
  }
  if (name === 'asset_ids' && known.asset) return [known.asset];
  if (name === 'asset_id' && known.asset) return known.asset;
  if (name === 'slug') return `sweep-${Math.floor(Math.random() * 1e9)}`;
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum.find((v) => v !== null) ?? null;
  for (const k of ['oneOf', 'anyOf']) if (Array.isArray(s[k])) return sample(s[k][0], depth + 1, name, requiredOnly);
  if (Array.isArray(s.allOf)) {
    return Object.assign(
      {},
      ...s.allOf.map((x) => sample(x, depth + 1, name, requiredOnly)).filter((v) => v && typeof v === 'object'),
    );
  }
  let t = s.type ?? (s.properties ? 'object' : undefined);
  if (Array.isArray(t)) t = t.find((x) => x !== 'null');
  switch (t) {
    case 'object': {
      const out = {};
      const required = new Set(s.required ?? []);
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        if (deref(v).readOnly) continue;
        if ((depth > 2 || requiredOnly) && !required.has(k)) continue;
        out[k] = sample(v, depth + 1, k, requiredOnly);
      }
      return out;
    }
    case 'array':
      return depth > 3
        ? []
        : Array.from({ length: Math.max(s.minItems ?? 0, 1) }, () => sample(s.items ?? {}, depth + 1, '', requiredOnly));
    case 'string':
      switch (s.format) {
        case 'uuid':
          return '00000000-0000-4000-8000-000000000001';
        case 'date':
          return '2025-01-01';
        case 'date-time':
          return '2025-01-01T00:00:00Z';
        case 'email':
          return `sweep-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.test`;
        case 'uri':
          return 'https://example.test/doc';
        default:
          return 'x'.repeat(Math.max(s.minLength ?? 1, 5));
      }
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      return null;
  }
}

function operation(route) {
  return specOps.get(`${route.method} ${norm(route.path)}`);
}

// The request body the spec describes: only its required fields, or all.
function specBody(route, requiredOnly = false) {
  const op = operation(route);
  const rb = op ? deref(op.requestBody) : null;
  const schema = rb?.content?.['application/json']?.schema;
  if (!schema) return null;
  const v = sample(schema, 0, '', requiredOnly);
  return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
}

function declaredStatuses(route) {
  const op = operation(route);
  return op ? Object.keys(op.responses ?? {}) : null;
}

// --------------------------------------------------------------- fixtures

const fixture = JSON.parse(execFileSync(routesProgram, ['--fixture'], { encoding: 'utf8' }));
const routes = fixture.routes;
const tokens = fixture.tenant;
known.user = tokens.admin_id;
const uuid = () => crypto.randomUUID();

// ---------------------------------------------------------------- checks

const findings = [];
const undeclared = new Map();
let checked = 0;

function describe(r) {
  if (r.status <= 0) return r.error ?? 'no answer';
  return `${r.status} ${r.type} ${r.body.toString('utf8', 0, 300)}`;
}

// Checks one answer; what is the case, for the report.
const byStatus = new Map();
const trace = process.env.ISMS_SWEEP_TRACE === '1';

function judge(route, what, r) {
  checked++;
  byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  if (trace) console.log(`${r.status} ${route.method} ${route.path} [${what}]`);
  const fail = (why) => findings.push({ route: `${route.method} ${route.path}`, what, why, answer: describe(r) });
  if (r.status === -1) return; // the client refused to send it (node's own checks)
  if (r.status === 0) return fail('no answer (connection closed: a crash?)');
  if (r.status >= 500) return fail(`status ${r.status}`);
  if (r.status >= 400) {
    let doc = null;
    try {
      doc = JSON.parse(r.body.toString('utf8'));
    } catch {
      // reported below
    }
    if (!/^application\/problem\+json/.test(r.type)) return fail('a 4xx that is not application/problem+json');
    if (!doc || typeof doc.type !== 'string' || typeof doc.title !== 'string' || doc.status !== r.status) {
      return fail('a 4xx whose body is not a problem document with this status');
    }
  }
  const declared = declaredStatuses(route);
  if (declared && !declared.includes(String(r.status)) && !declared.includes('default')) {
    const key = `${route.method} ${route.path} ${r.status}`;
    undeclared.set(key, (undeclared.get(key) ?? 0) + 1);
  }
}

// --------------------------------------------------------------- inputs

// Every metacharacter at once, then two classic injections.
const SQL = [`' " ; -- /* */ \\`, "' OR '1'='1", "x'); DROP TABLE assets; --"];
const enc = (s) => encodeURIComponent(s);
// Values for every query parameter, which its handler parses.
const QUERY_VALUES = [
  ...SQL.map((s) => ['sql ' + JSON.stringify(s), enc(s)]),
  ['20 digits', '99999999999999999999'],
  ['-1', '-1'],
  ['-20 digits', '-99999999999999999999'],
  ['1e309', '1e309'],
  ['empty', ''],
  ['1000 characters', 'q'.repeat(1000)],
];
// Text the common query parser refuses for any parameter: once per route.
const QUERY_ENCODINGS = [
  ['%00', '%00'],
  ['invalid UTF-8', '%FF%FE'],
  ['overlong UTF-8', '%C0%AF'],
  ['bad escape', '%zz'],
];
const ID_VALUES = [
  ['not a UUID', 'not-a-uuid'],
  ['SQL', enc("1' OR '1'='1")],
  ['%00', '%00'],
  ['invalid UTF-8', '%FF%FE'],
  ['raw invalid UTF-8', '\u00ff\u00fe'],
  ['20 digits', '99999999999999999999'],
  ['-1', '-1'],
  ['UUID with trailing text', '00000000-0000-4000-8000-000000000001x'],
  ['UUID upper case', '00000000-0000-4000-8000-00000000000A'],
  ['3000 characters', 'a'.repeat(3000)],
];
// Every field gets each of these in place of its valid value.
const WRONG_TYPES = [
  ['integer', 12345],
  ['negative', -1],
  ['fraction', 1.5],
  ['20 digits', '__BIG__'],
  ['-20 digits', '__NEGBIG__'],
  ['1e400', '__HUGE__'],
  ['true', true],
  ['null', null],
  ['array', ['a', 1]],
  ['object', { a: 1 }],
  ['empty string', ''],
  ['NUL escape', 'a\u0000b'],
  ['lone surrogate', '__SURROGATE__'],
  ['100000 characters', 'y'.repeat(100000)],
];
// And these once per route, in its first field: their checks do not
// depend on the field (the JSON parser, the scalar checks of common/).
const ODD_VALUES = [
  ['control characters', 'a\u0001\u001f\u007f'],
  ['date out of range', '2025-02-30'],
  ['not a UUID', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'],
];

// JSON text with the placeholders above replaced by what JSON.stringify
// cannot produce.
function jsonText(v) {
  return JSON.stringify(v)
    .replaceAll('"__BIG__"', '99999999999999999999')
    .replaceAll('"__NEGBIG__"', '-99999999999999999999')
    .replaceAll('"__HUGE__"', '1e400')
    .replaceAll('"__SURROGATE__"', '"\\ud800"');
}

const deep = (n) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

const MALFORMED = [
  ['empty body', ''],
  ['truncated', '{"a":'],
  ['trailing comma', '[1,]'],
  ['single quotes', "{'a':1}"],
  ['bare word', 'nul'],
  ['two documents', '{"a":1}{"b":2}'],
  ['duplicate keys', '{"name":"a","name":"b"}'],
  ['array', '[]'],
  ['string', '"text"'],
  ['number', '1'],
  ['null', 'null'],
  ['10000-deep array', deep(10000)],
  ['10000-deep object', deepObject(10000)],
];
const RAW_BODIES = [
  ['invalid UTF-8 in a string', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')])],
  ['UTF-16', Buffer.from('\ufeff{"name":"x"}', 'utf16le')],
  ['NUL byte', Buffer.from('{"name":"a\u0000b"}')],
];
const CSV_BODIES = [
  ['header only', 'name,type\n'],
  ['unterminated quote', 'name,type\n"abc,hardware\n'],
  ['text after a quote', 'name,type\n"a"b,hardware\n'],
  ['NUL byte', 'name,type\na\u0000b,hardware\n'],
  ['unknown and repeated columns', 'name,name,zz\na,b,c\n'],
  ['SQL in cells', `name,type,description\n"'; DROP TABLE assets; --",hardware,"' OR 1=1 --"\n`],
  ['formulas', 'name,type\n=cmd|calc,hardware\n'],
  ['overflowing numbers', 'name,type,confidentiality\nx,hardware,99999999999999999999\n'],
  ['too many fields', 'name,type\na,b,c,d,e\n'],
  ['64+ columns', Array.from({ length: 80 }, (_, i) => `c${i}`).join(',') + '\n'],
];

// ----------------------------------------------------------------- paths

const realIds = new Map(); // collection path -> id of a record made here

// A value for a placeholder: the record made for its collection, or what
// its name asks for (a random UUID names nobody's record: a 404).
function idFor(route, name, offset) {
  const collection = route.path.slice(0, offset - 1);
  if (realIds.has(collection)) return realIds.get(collection);
  return name === 'slug' ? 'iso27001-2022' : name === 'number' ? '1' : uuid();
}

// The query parameters the spec requires (OSCAL import's slug, say).
function requiredQuery(route) {
  const op = operation(route);
  const params = [...(op?.parameters ?? [])].map(deref).filter((p) => p.in === 'query' && p.required);
  return params.map((p) => `${enc(p.name)}=${enc(String(sample(p.schema ?? {}, 0, p.name)))}`).join('&');
}

const goodPath = (route) => route.path.replace(/\{([^}]+)\}/g, (_, name, offset) => idFor(route, name, offset));

// The path with its first placeholder set to value (already encoded).
function fillPath(route, value) {
  let first = true;
  return route.path.replace(/\{([^}]+)\}/g, (_, name, offset) => {
    if (!first) return idFor(route, name, offset);
    first = false;
    return value;
  });
}

// ------------------------------------------------------------ the sweep

const takesJson = (r) => r.flags.includes('json');
const takesRaw = (r) => r.flags.includes('body');
const writes = (r) => ['POST', 'PUT', 'PATCH'].includes(r.method);
const tokenFor = (r) => (r.path.endsWith('/auth/logout') ? fixture.other.admin : tokens.admin);

// A body the route should accept (its required fields), and every field
// with a valid value, from the spec; without a schema in the spec, the
// fields a 422 names as required.
async function bodiesOf(route, path) {
  const valid = specBody(route, true);
  if (valid) return { valid, all: { ...specBody(route), ...valid } };
  const r = await send({ method: route.method, path, token: tokenFor(route), type: 'application/json', body: '{}' });
  const out = {};
  try {
    for (const e of JSON.parse(r.body.toString('utf8')).errors ?? []) {
      if (/required/.test(e.message) && typeof e.field === 'string') out[e.field] = 'sweep';
    }
  } catch {
    // no document: nothing learnt
  }
  return { valid: out, all: out };
}

async function sweepRoute(route) {
  const token = tokenFor(route);
  const path = goodPath(route);
  const cases = [];
  const add = (what, req) => cases.push([what, { method: route.method, token, ...req }]);

  // Path ids.
  if (route.path.includes('{')) {
    for (const [what, v] of ID_VALUES) add(`path id ${what}`, { path: fillPath(route, v) });
    add('path id random UUID', { path: fillPath(route, uuid()) });
  }
  // Query parameters.
  for (const key of route.query) {
    for (const [what, v] of QUERY_VALUES) add(`query ${key}=${what}`, { path: `${path}?${key}=${v}` });
    add(`query ${key} repeated`, { path: `${path}?${key}=1&${key}=2` });
  }
  const someKey = route.query[0] ?? 'zz_unknown';
  for (const [what, v] of QUERY_ENCODINGS) add(`query ${someKey}=${what}`, { path: `${path}?${someKey}=${v}` });
  add('query key with invalid UTF-8', { path: `${path}?%FF=1` });
  add('query limit=20 digits', { path: `${path}?limit=99999999999999999999` });
  add('unknown query parameter', { path: `${path}?zz_unknown=1` });
  add('query without a value', { path: `${path}?&&=&` });
  // Headers.
  add('Idempotency-Key 300 characters', { path, headers: { 'Idempotency-Key': 'k'.repeat(300) } });
  add('Idempotency-Key SQL', { path, headers: { 'Idempotency-Key': "k'; DROP TABLE idempotency_keys;--" } });
  add('If-Match garbage', { path, headers: { 'If-Match': '"abc", W/"99999999999999999999"' } });
  add('no token', { path, token: undefined });
  add('viewer', { path, token: tokens.viewer });
  add('malformed token', { path, token: 'a.b.c' });

  if (writes(route) && takesJson(route)) {
    const { valid, all } = await bodiesOf(route, path);
    const q = requiredQuery(route);
    const bodyPath = q ? `${path}?${q}` : path;
    const json = (what, v, extra = {}) =>
      add(what, { path: bodyPath, type: 'application/json', body: typeof v === 'string' ? v : jsonText(v), ...extra });
    json('valid body', valid, { headers: { 'Idempotency-Key': uuid() } });
    json('unknown field', { ...valid, zz_unknown_field: 1 });
    for (const [what, text] of MALFORMED) json(`malformed: ${what}`, text);
    for (const [what, buf] of RAW_BODIES) add(`raw: ${what}`, { path, type: 'application/json', body: buf });
    for (const field of Object.keys(all)) {
      for (const [what, v] of WRONG_TYPES) json(`${field}: ${what}`, { ...valid, [field]: v });
      if (typeof all[field] === 'string') {
        for (const s of SQL) json(`${field}: sql ${JSON.stringify(s)}`, { ...valid, [field]: all[field] + s });
      }
    }
    const first = Object.keys(all)[0];
    if (first !== undefined) {
      for (const [what, v] of ODD_VALUES) json(`${first}: ${what}`, { ...valid, [first]: v });
      json(`${first}: 10000-deep`, `{${JSON.stringify(first)}:${deep(10000)}}`);
    }
    json('no content type', valid, { type: undefined });
    json('text/plain', valid, { type: 'text/plain' });
    json('10 MB body', `{"name":"${'z'.repeat(10 * 1024 * 1024)}"}`, { expectContinue: true });
  } else if (writes(route) && takesRaw(route)) {
    for (const [what, text] of CSV_BODIES) add(`csv: ${what}`, { path, type: 'text/csv', body: text });
    add('csv: invalid UTF-8', { path, type: 'text/csv', body: Buffer.from([0x6e, 0x61, 0xff, 0x0a]) });
    add('raw: pdf', { path: `${path}?title=${enc("'; --")}&filename=${enc('../../etc/passwd')}`, type: 'application/pdf', body: '%PDF-1.4 x' });
    add('raw: unknown type', { path, type: 'application/x-sweep', body: 'x' });
    add('raw: no type', { path, body: 'x' });
    for (const [what, text] of MALFORMED.slice(0, 6)) add(`json: ${what}`, { path, type: 'application/json', body: text });
    add('json: 10000-deep', { path, type: 'application/json', body: deep(10000) });
    add('10 MB body', { path, type: 'text/csv', body: 'name,type\n' + 'a,hardware\n'.repeat(950000), expectContinue: true });
  } else if (writes(route) || route.method === 'DELETE') {
    add('a body where none is read', { path, type: 'application/json', body: deep(10000) });
    add('10 MB body', { path, type: 'application/json', body: 'x'.repeat(10 * 1024 * 1024), expectContinue: true });
  }

  // A few at a time.
  const width = 4;
  for (let i = 0; i < cases.length; i += width) {
    const batch = cases.slice(i, i + width);
    const answers = await Promise.all(batch.map(([, req]) => send(req)));
    answers.forEach((r, k) => judge(route, batch[k][0], r));
  }
  return cases.length;
}

// Makes one record per collection that has a create route, so that item
// routes reach real rows.
async function makeRecords() {
  for (const route of routes) {
    if (route.method !== 'POST' || route.path.includes('{') || !takesJson(route)) continue;
    if (/\/(auth|import)\b|\/(login|refresh|logout)$/.test(route.path)) continue;
    const body = specBody(route, true);
    if (!body) continue;
    const r = await send({ method: 'POST', path: route.path, token: tokens.admin, type: 'application/json', body: jsonText(body) });
    judge(route, 'create a record for the sweep', r);
    try {
      const doc = JSON.parse(r.body.toString('utf8'));
      if (r.status === 201 && typeof doc.id === 'string') realIds.set(route.path, doc.id);
    } catch {
      // no id: the item routes get random UUIDs
    }
    if (route.path === '/api/v1/assets' && realIds.has(route.path)) known.asset = realIds.get(route.path);
  }
}

function serviceProcesses() {
  const out = {};
  for (const f of readdirSync(runDir).filter((n) => n.endsWith('.pid') && n !== 'nginx.pid')) {
    const sup = readFileSync(join(runDir, f), 'utf8').trim();
    let kids = '';
    try {
      kids = execFileSync('ps', ['-o', 'pid=', '--ppid', sup], { encoding: 'utf8' }).trim().split(/\s+/).sort().join(',');
    } catch {
      // no children: unsupervised, or gone
    }
    out[basename(f, '.pid')] = kids || sup;
  }
  return out;
}

async function main() {
  const t0 = Date.now();
  sources = await findSources();
  const before = serviceProcesses();
  // Coverage of the spec: a route the spec lacks is still swept.
  const served = new Set(routes.map((r) => `${r.method} ${norm(r.path)}`));
  const notInSpec = routes.filter((r) => !operation(r)).map((r) => `${r.method} ${r.path}`);
  const notServed = [...specOps.keys()].filter((k) => !served.has(k) && k.includes('/api/'));

  await makeRecords();
  // Deletions after everything else, and logout (which revokes a token) last.
  const rank = (r) => (r.path.endsWith('/auth/logout') ? 2 : r.method === 'DELETE' ? 1 : 0);
  const ordered = [...routes].sort((a, b) => rank(a) - rank(b));
  let cases = 0;
  for (const route of ordered) cases += await sweepRoute(route);
  agent.destroy();

  // The stack afterwards.
  const ready = [];
  for (const svc of ['auth', 'assets', 'risks', 'controls', 'audits']) {
    const r = await send({ method: 'GET', path: `/readyz/${svc}` });
    if (r.status !== 200) ready.push(`${svc}: ${describe(r)}`);
  }
  const after = serviceProcesses();
  const restarted = Object.keys(before).filter((k) => before[k] !== after[k]);
  // Failed sign-ins from 127.0.0.1 must not throttle the suites after this.
  execFileSync(routesProgram, ['--reset-throttle']);

  for (const f of findings) {
    console.log(`FAIL ${f.route} [${f.what}]: ${f.why}\n     answer: ${f.answer}`);
  }
  for (const s of ready) console.log(`FAIL not ready afterwards: ${s}`);
  for (const s of restarted) console.log(`FAIL service process restarted during the sweep: ${s} (${before[s]} -> ${after[s]})`);
  if (notInSpec.length) console.log(`routes not in the spec (swept with bodies from their 422s): ${notInSpec.join(', ')}`);
  if (notServed.length) console.log(`spec operations no service serves: ${notServed.join(', ')}`);
  if (undeclared.size) {
    console.log('statuses the spec does not declare for the operation (not failures):');
    for (const [k, n] of [...undeclared].sort()) console.log(`  ${k} (${n}x)`);
  }
  const statuses = [...byStatus].sort((x, y) => x[0] - y[0]).map(([k, n]) => `${k}: ${n}`);
  console.log(`answers by status: ${statuses.join(', ')}; rate-limited and sent again: ${throttled}`);
  console.log(`sent from: ${sources.length ? sources.join(', ') : '127.0.0.1'}`);
  const failed = findings.length + ready.length + restarted.length;
  console.log(
    `sweep: ${routes.length} routes, ${cases} cases, ${requests} requests, ${checked} answers checked in ` +
      `${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(`${checked + 5 + Object.keys(before).length - failed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
