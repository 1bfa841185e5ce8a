#!/usr/bin/env node
// Proves the contract check can fail: feeds it exchanges that match the
// spec and exchanges that drift from it (renamed field, wrong type,
// undeclared status, wrong content type, unknown route...), broken specs
// and route lists, and asserts each verdict and its reason. Also runs the
// command line on the sample logs to pin its output and exit codes.
//
//   node selftest.mjs        (or: node validate.mjs --selftest)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SpecError, checkRoutes, compileSpec, loadSpecFile } from './lib/contract.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SPEC = path.resolve(HERE, '../../openapi/openapi.yaml');
const VALIDATE = path.join(HERE, 'validate.mjs');
const SAMPLES = path.join(HERE, 'samples');

const UUID = '3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b';
const USER = '6b1e0c2d-4f3a-4b8e-9d7c-1a2b3c4d5e6f';
const JSON_CT = 'application/json';
const PROBLEM_CT = 'application/problem+json';

function asset(over = {}) {
  return {
    id: UUID,
    name: 'Customer database',
    type: 'information',
    version: 1,
    created_at: '2024-05-02T09:14:07Z',
    updated_at: '2024-05-02T09:14:07Z',
    created_by: USER,
    updated_by: USER,
    description: null,
    owner_id: USER,
    custodian_id: null,
    location: null,
    classification: 'confidential',
    confidentiality: 4,
    integrity: null,
    availability: null,
    status: 'in_use',
    status_changed_at: '2024-05-02T09:14:07Z',
    in_use_since: '2024-05-02',
    retired_on: null,
    disposed_on: null,
    tags: [],
    external_id: null,
    review_date: null,
    archived_at: null,
    effective: {
      confidentiality: { value: 4, source_id: UUID },
      integrity: { value: null, source_id: null },
      availability: { value: null, source_id: null },
    },
    ...over,
  };
}

function without(obj, key) {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}

function problem(status, slug, title, over = {}) {
  return { type: `/problems/${slug}`, title, status, ...over };
}

const ex = (method, p, status, contentType, body, extra = {}) => ({
  method,
  path: p,
  status,
  content_type: contentType,
  body,
  ...extra,
});

// [name, exchange, expected: true (passes) or a substring of the failure]
const SPEC_CASES = [
  ['gateway healthz', ex('GET', '/healthz', 200, JSON_CT, { status: 'ok' }), true],
  ['service healthz with charset', ex('GET', '/healthz/auth', 200, 'application/json; charset=utf-8', { status: 'ok' }), true],
  ['readyz ready', ex('GET', '/readyz/controls', 200, JSON_CT, { status: 'ready' }), true],
  ['readyz 503 problem', ex('GET', '/readyz/assets', 503, PROBLEM_CT, problem(503, 'unavailable', 'Service Unavailable')), true],
  ['list page', ex('GET', '/api/v1/assets', 200, JSON_CT, { items: [asset(), asset({ updated_by: null, created_by: null })], next_cursor: 'abc' }), true],
  ['list last page', ex('GET', '/api/v1/assets', 200, JSON_CT, { items: [], next_cursor: null }), true],
  ['path with query string', ex('GET', '/api/v1/assets?limit=5', 200, JSON_CT, { items: [], next_cursor: null }), true],
  ['lower-case method', ex('get', '/api/v1/assets', 200, JSON_CT, { items: [], next_cursor: null }), true],
  ['create 201', ex('POST', '/api/v1/assets', 201, JSON_CT, asset({ type: 'supplier', name: 'x'.repeat(200) })), true],
  ['create 422 with errors', ex('POST', '/api/v1/assets', 422, PROBLEM_CT, problem(422, 'validation', 'Validation Failed', { errors: [{ field: 'name', message: 'required' }] })), true],
  ['create 413', ex('POST', '/api/v1/assets', 413, PROBLEM_CT, problem(413, 'payload-too-large', 'Payload Too Large')), true],
  ['401 with recorded challenge', ex('GET', '/api/v1/assets', 401, PROBLEM_CT, problem(401, 'unauthorized', 'Unauthorized'), { headers: { 'WWW-Authenticate': 'Bearer' } }), true],
  ['problem with all members', ex('GET', '/api/v1/assets', 400, PROBLEM_CT, problem(400, 'bad-request', 'Bad Request', { detail: 'd', instance: '/api/v1/assets', request_id: 'r1' })), true],
  ['unknown path answered 404', ex('GET', '/api/v2/things', 404, PROBLEM_CT, problem(404, 'not-found', 'Not Found')), true],
  ['unsupported method answered 405', ex('PUT', '/api/v1/assets', 405, PROBLEM_CT, problem(405, 'method-not-allowed', 'Method Not Allowed')), true],

  ['drift: renamed field', ex('GET', '/api/v1/assets', 200, JSON_CT, { items: [{ ...without(asset(), 'created_at'), created: '2024-05-02T09:14:07Z' }], next_cursor: null }), "required property 'created_at'"],
  ['drift: extra field', ex('POST', '/api/v1/assets', 201, JSON_CT, asset({ tenant_id: UUID })), '"tenant_id"'],
  ['drift: list envelope renamed', ex('GET', '/api/v1/assets', 200, JSON_CT, { data: [], next_cursor: null }), "required property 'items'"],
  ['drift: next_cursor omitted', ex('GET', '/api/v1/assets', 200, JSON_CT, { items: [] }), "required property 'next_cursor'"],
  ['wrong type: version as string', ex('POST', '/api/v1/assets', 201, JSON_CT, asset({ version: '1' })), 'body/version must be integer'],
  ['wrong type: version 0', ex('POST', '/api/v1/assets', 201, JSON_CT, asset({ version: 0 })), 'body/version must be >= 1'],
  ['wrong type: created_by number', ex('POST', '/api/v1/assets', 201, JSON_CT, asset({ created_by: 7 })), 'body/created_by must be string,null'],
  ['bad format: id not a uuid', ex('POST', '/api/v1/assets', 201, JSON_CT, asset({ id: '42' })), 'body/id must match format "uuid"'],
  ['bad format: timestamp without zone', ex('POST', '/api/v1/assets', 201, JSON_CT, asset({ updated_at: '2024-05-02T09:14:07' })), 'must match format "date-time"'],
  ['bad enum: asset type', ex('POST', '/api/v1/assets', 201, JSON_CT, asset({ type: 'laptop' })), 'body/type must be equal to one of the allowed values'],
  ['too long name', ex('POST', '/api/v1/assets', 201, JSON_CT, asset({ name: 'x'.repeat(201) })), 'body/name must NOT have more than 200 characters'],
  ['healthz says up', ex('GET', '/healthz/risks', 200, JSON_CT, { status: 'up' }), 'must be equal to constant'],
  ['healthz extra member', ex('GET', '/healthz', 200, JSON_CT, { status: 'ok', db: 'ok' }), '"db"'],
  ['readyz says ok', ex('GET', '/readyz/risks', 200, JSON_CT, { status: 'ok' }), 'must be equal to constant "ready"'],
  ['undeclared status 404 on list', ex('GET', '/api/v1/assets', 404, PROBLEM_CT, problem(404, 'not-found', 'Not Found')), 'status 404 not declared for listAssets'],
  ['undeclared status 200 on create', ex('POST', '/api/v1/assets', 200, JSON_CT, asset()), 'status 200 not declared for createAsset'],
  ['undeclared status 418', ex('GET', '/healthz', 418, PROBLEM_CT, problem(418, 'teapot', 'Teapot')), 'status 418 not declared'],
  ['wrong content type: json problem', ex('POST', '/api/v1/assets', 422, JSON_CT, problem(422, 'validation', 'Validation Failed', { errors: [{ field: 'name', message: 'm' }] })), 'content type application/json not declared for 422'],
  ['wrong content type: html error page', ex('GET', '/readyz/audits', 503, 'text/html', null, { raw: '<html>503</html>' }), 'content type text/html not declared'],
  ['wrong content type: text/plain 200', ex('GET', '/healthz', 200, 'text/plain', null, { raw: 'ok' }), 'content type text/plain not declared'],
  ['missing content type', ex('GET', '/healthz', 200, null, { status: 'ok' }), 'no Content-Type'],
  ['body not JSON', ex('GET', '/healthz', 200, JSON_CT, null, { raw: 'ok' }), 'body is not valid JSON'],
  ['problem status disagrees with HTTP', ex('GET', '/api/v1/assets', 400, PROBLEM_CT, problem(404, 'bad-request', 'Bad Request')), 'body/status must be equal to constant 400'],
  ['problem with wrong type slug', ex('GET', '/api/v1/assets', 403, PROBLEM_CT, problem(403, 'not-allowed', 'Forbidden')), 'body/type must be equal to constant "/problems/forbidden"'],
  ['problem without title', ex('GET', '/api/v1/assets', 403, PROBLEM_CT, without(problem(403, 'forbidden', 'Forbidden'), 'title')), "required property 'title'"],
  ['problem with camelCase member', ex('GET', '/api/v1/assets', 403, PROBLEM_CT, problem(403, 'forbidden', 'Forbidden', { requestId: 'r' })), '"requestId"'],
  ['422 without errors', ex('POST', '/api/v1/assets', 422, PROBLEM_CT, problem(422, 'validation', 'Validation Failed')), "required property 'errors'"],
  ['422 with empty errors', ex('POST', '/api/v1/assets', 422, PROBLEM_CT, problem(422, 'validation', 'Validation Failed', { errors: [] })), 'body/errors must NOT have fewer than 1 items'],
  ['422 error item drift', ex('POST', '/api/v1/assets', 422, PROBLEM_CT, problem(422, 'validation', 'Validation Failed', { errors: [{ path: 'name', message: 'm' }] })), "body/errors/0 must have required property 'field'"],
  ['401 missing challenge header', ex('GET', '/api/v1/assets', 401, PROBLEM_CT, problem(401, 'unauthorized', 'Unauthorized'), { headers: { 'x-request-id': 'r' } }), 'missing response header WWW-Authenticate'],
  ['201 missing Location', ex('POST', '/api/v1/assets', 201, JSON_CT, asset(), { headers: { etag: '"1"' } }), 'missing response header Location'],
  ['405 missing Allow', ex('DELETE', '/api/v1/assets', 405, PROBLEM_CT, problem(405, 'method-not-allowed', 'Method Not Allowed'), { headers: {} }), 'missing response header Allow'],
  ['unknown path answered 200', ex('GET', '/api/v1/widgets', 200, JSON_CT, {}), 'no path in the spec matches'],
  ['trailing slash', ex('GET', '/api/v1/assets/', 200, JSON_CT, { items: [], next_cursor: null }), 'no path in the spec matches'],
  ['empty path parameter', ex('GET', '/healthz/', 200, JSON_CT, { status: 'ok' }), 'no path in the spec matches'],
  ['unknown method answered 200', ex('DELETE', '/api/v1/assets', 200, JSON_CT, {}), 'has no DELETE operation'],
  ['unknown path answered 405', ex('GET', '/api/v2/things', 405, PROBLEM_CT, problem(405, 'method-not-allowed', 'Method Not Allowed')), 'no path in the spec matches'],
  ['record without status', ex('GET', '/healthz', undefined, JSON_CT, { status: 'ok' }), 'no integer "status"'],
  ['record with string status', ex('GET', '/healthz', '200', JSON_CT, { status: 'ok' }), 'no integer "status"'],
  ['record without path', { method: 'GET', status: 200, content_type: JSON_CT, body: {} }, 'no "path"'],
  ['record not an object', [1, 2], 'not a JSON object'],
];

// A small spec for the matching rules the platform spec does not exercise.
function miniSpec(over = {}) {
  const text = (desc) => ({ description: desc });
  return {
    openapi: '3.1.0',
    info: { title: 'mini', version: '1' },
    paths: {
      '/things/{id}': {
        get: {
          operationId: 'getThing',
          responses: {
            200: { description: 'thing', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
            '4XX': { description: 'client error', content: { 'application/problem+json': { schema: { type: 'object', required: ['status'] } } } },
            default: { description: 'other', content: { 'text/plain': { schema: { type: 'string', minLength: 1 } } } },
          },
        },
      },
      '/things/special': {
        get: {
          operationId: 'getSpecial',
          responses: {
            200: {
              description: 'special',
              content: { 'application/json': { schema: { type: 'object', required: ['special'], properties: { special: { const: true } } } } },
            },
          },
        },
      },
      '/files/{name}.json': {
        get: {
          operationId: 'getFile',
          responses: { 200: { description: 'file', content: { 'application/*': {} } } },
        },
      },
      '/empty': { delete: { operationId: 'deleteEmpty', responses: { 204: text('gone') } } },
    },
    components: {
      schemas: {
        Thing: {
          type: 'object',
          required: ['id'],
          additionalProperties: false,
          properties: { id: { type: 'integer' }, link: { $ref: '#/components/schemas/Link' } },
        },
        Link: { type: ['object', 'null'], properties: { next: { $ref: '#/components/schemas/Link' } } },
      },
    },
    ...over,
  };
}

const MINI_CASES = [
  ['template match', ex('GET', '/things/7', 200, JSON_CT, { id: 7 }), true],
  ['recursive schema', ex('GET', '/things/7', 200, JSON_CT, { id: 7, link: { next: { next: null } } }), true],
  ['recursive schema drift', ex('GET', '/things/7', 200, JSON_CT, { id: 7, link: { next: 3 } }), 'body/link/next must be object,null'],
  ['literal segment wins', ex('GET', '/things/special', 200, JSON_CT, { special: true }), true],
  ['literal segment wins, so a thing fails', ex('GET', '/things/special', 200, JSON_CT, { id: 1 }), "required property 'special'"],
  ['4XX range', ex('GET', '/things/7', 404, PROBLEM_CT, { status: 404 }), true],
  ['4XX range schema', ex('GET', '/things/7', 409, PROBLEM_CT, {}), "required property 'status'"],
  ['default response', ex('GET', '/things/7', 500, 'text/plain', null, { raw: 'boom' }), true],
  ['default response schema on raw text', ex('GET', '/things/7', 500, 'text/plain', null, { raw: '' }), 'must NOT have fewer than 1 characters'],
  ['partial template segment', ex('GET', '/files/report.json', 200, 'application/pdf', null, { raw: '%PDF' }), true],
  ['partial template needs its literal', ex('GET', '/files/report.xml', 200, 'application/pdf', null), 'no path in the spec matches'],
  ['media range application/*', ex('GET', '/files/a.json', 200, 'text/html', null, { raw: '<p>' }), 'content type text/html not declared'],
  ['no content 204', ex('DELETE', '/empty', 204, null, null), true],
  ['no content 204 with body', ex('DELETE', '/empty', 204, JSON_CT, {}), 'declares no content'],
  ['no unmatched responses declared', ex('GET', '/nothing', 404, PROBLEM_CT, { status: 404 }), 'no path in the spec matches'],
];

const BAD_SPECS = [
  ['OpenAPI 3.0 refused', () => miniSpec({ openapi: '3.0.3' }), 'expected "openapi: 3.1.x"'],
  ['external $ref refused', () => {
    const s = miniSpec();
    s.components.schemas.Thing.properties.id = { $ref: 'common.yaml#/Id' };
    return s;
  }, 'only internal $ref'],
  ['dangling $ref refused', () => {
    const s = miniSpec();
    s.paths['/empty'].delete.responses[204] = { $ref: '#/components/responses/Gone' };
    return s;
  }, 'unresolvable $ref'],
  ['schema typo refused', () => {
    const s = miniSpec();
    s.components.schemas.Thing.properties.id = { type: 'integer', maximun: 3 };
    return s;
  }, 'unknown keyword: "maximun"'],
  ['unknown format refused', () => {
    const s = miniSpec();
    s.components.schemas.Thing.properties.id = { type: 'string', format: 'guid' };
    return s;
  }, 'unknown format "guid"'],
  ['missing operationId refused', () => {
    const s = miniSpec();
    delete s.paths['/empty'].delete.operationId;
    return s;
  }, 'missing operationId'],
  ['duplicate operationId refused', () => {
    const s = miniSpec();
    s.paths['/empty'].delete.operationId = 'getThing';
    return s;
  }, 'also used by'],
  ['equivalent templates refused', () => {
    const s = miniSpec();
    s.paths['/things/{thing_id}'] = { put: { operationId: 'putThing', responses: { 204: { description: 'x' } } } };
    return s;
  }, 'are equivalent'],
  ['undeclared path parameter refused', () => {
    const s = miniSpec();
    s.paths['/empty'].delete.parameters = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
    return s;
  }, 'is not in the template'],
];

function runSelftest() {
  let passed = 0;
  let failed = 0;
  const verdict = (name, ok, detail) => {
    if (ok) {
      passed++;
      console.log(`ok - ${name}`);
    } else {
      failed++;
      console.log(`not ok - ${name}: ${detail}`);
    }
  };
  const judge = (checker, group, cases) => {
    for (const [name, exchange, expected] of cases) {
      const { failures } = checker.checkExchange(exchange);
      const text = failures.join('; ');
      if (expected === true) verdict(`${group}: ${name} passes`, failures.length === 0, `unexpected failure: ${text}`);
      else verdict(`${group}: ${name} fails`, text.includes(expected), failures.length ? `wrong reason: ${text}` : 'it passed');
    }
  };

  let platform;
  try {
    platform = compileSpec(loadSpecFile(SPEC));
    verdict('platform spec compiles', true);
  } catch (e) {
    verdict('platform spec compiles', false, e.message);
  }
  if (platform) {
    judge(platform, 'spec', SPEC_CASES);
    // The live spec grows with every service; what must always hold is
    // that each operation has an id of its own.
    const ids = platform.operations.map((o) => o.operationId);
    verdict('spec operations have unique ids', ids.length > 0 && ids.every(Boolean) && new Set(ids).size === ids.length, ids.join(' '));
  }

  let mini;
  try {
    mini = compileSpec(miniSpec());
    verdict('mini spec compiles', true);
  } catch (e) {
    verdict('mini spec compiles', false, e.message);
  }
  if (mini) judge(mini, 'mini', MINI_CASES);

  for (const [name, make, expected] of BAD_SPECS) {
    try {
      compileSpec(make());
      verdict(`bad spec: ${name}`, false, 'it compiled');
    } catch (e) {
      verdict(`bad spec: ${name}`, e instanceof SpecError && e.message.includes(expected), e.message);
    }
  }

  if (mini) {
    const same = checkRoutes(mini.operations, [
      { method: 'get', path: '/things/:id' },
      { method: 'GET', path: '/things/special' },
      { method: 'GET', path: '/files/{file}.json' },
      { method: 'DELETE', path: '/empty' },
    ]);
    verdict('routes: same set', same.onlyServed.length + same.onlySpec.length + same.problems.length === 0, JSON.stringify(same));
    const diff = checkRoutes(mini.operations, [
      { method: 'GET', path: '/things/<id>' },
      { method: 'POST', path: '/things' },
      { method: 'GET', path: '/files/{name}.json' },
      { method: 'DELETE', path: '/empty' },
      { path: '/broken' },
    ]);
    verdict('routes: served-only reported', diff.onlyServed.join() === 'POST /things', JSON.stringify(diff.onlyServed));
    verdict('routes: spec-only reported', diff.onlySpec.join() === 'GET /things/special (getSpecial)', JSON.stringify(diff.onlySpec));
    verdict('routes: malformed entry reported', diff.problems.length === 1, JSON.stringify(diff.problems));
  }

  // Access rules: "public" against `security: []`, "roles" against x-roles.
  let guarded;
  try {
    const s = miniSpec({ security: [{ bearer: [] }] });
    s.paths['/things/{id}'].get['x-roles'] = ['admin', 'viewer'];
    s.paths['/things/special'].get.security = [];
    guarded = compileSpec(s);
  } catch (e) {
    verdict('routes: spec with access rules compiles', false, e.message);
  }
  if (guarded) {
    const agree = checkRoutes(guarded.operations, [
      { method: 'GET', path: '/things/{id}', public: false, roles: ['viewer', 'admin'] },
      { method: 'GET', path: '/things/special', public: true, roles: [] },
      { method: 'GET', path: '/files/{file}.json' },
      { method: 'DELETE', path: '/empty' },
    ]);
    verdict('routes: agreeing access rules pass', agree.mismatches.length === 0, JSON.stringify(agree.mismatches));
    const differ = checkRoutes(guarded.operations, [
      { method: 'GET', path: '/things/{id}', public: false, roles: ['admin'] },
      { method: 'GET', path: '/things/special', public: false, roles: ['admin'] },
      { method: 'GET', path: '/files/{file}.json', public: false, roles: ['editor'] },
      { method: 'DELETE', path: '/empty', public: true, roles: [] },
    ]);
    const text = differ.mismatches.join('\n');
    verdict('routes: differing access rules reported', differ.mismatches.length === 5 &&
      text.includes('getThing): x-roles says admin, viewer; the service allows admin') &&
      text.includes('getSpecial): the service serves it only with a credential') &&
      text.includes('getFile): no x-roles in the spec; the service allows editor') &&
      text.includes('deleteEmpty): the service serves it without a credential'), text);
  }

  // The command line, end to end.
  const tmp = mkdtempSync(path.join(tmpdir(), 'isms-contract-'));
  try {
    const file = (name, content) => {
      const f = path.join(tmp, name);
      writeFileSync(f, content);
      return f;
    };
    const miniFileEarly = () => file('mini-early.json', JSON.stringify(miniSpec()));
    const run = (args) => {
      const r = spawnSync(process.execPath, [VALIDATE, ...args], { encoding: 'utf8' });
      const lines = r.stdout.trim().split('\n');
      return { code: r.status, last: lines[lines.length - 1], out: r.stdout + r.stderr };
    };
    const cli = (name, args, code, last) => {
      const r = run(args);
      const lastOk = last === undefined || (last instanceof RegExp ? last.test(r.last) : r.last === last);
      verdict(`cli: ${name}`, r.code === code && lastOk, `exit ${r.code}, output:\n${r.out}`);
      return r;
    };
    const good = cli('good sample passes', [SPEC, path.join(SAMPLES, 'good.jsonl')], 0, /^[1-9][0-9]* passed, 0 failed$/);
    verdict('cli: coverage is reported', /operations exercised: [1-9][0-9]*\/[1-9][0-9]* \([0-9.]+%\)/.test(good.out), good.out);
    // Coverage, on the mini spec (4 operations): half of them, then all.
    const miniSpecFile = miniFileEarly();
    const lines = (list) => list.map((e) => JSON.stringify(e)).join('\n');
    const half = file('mini-half.jsonl', lines([
      ex('GET', '/things/1', 200, JSON_CT, { id: 1 }),
      ex('DELETE', '/empty', 204, null, null),
    ]));
    cli('half the operations meet --min-coverage 50', ['--min-coverage', '50', miniSpecFile, half], 0, '2 passed, 0 failed');
    const low = cli('half the operations miss --min-coverage 100', ['--min-coverage', '100', miniSpecFile, half], 1, '2 passed, 0 failed');
    verdict('cli: coverage is reported with its percentage', /^operations exercised: 2\/4 \(50%\)$/m.test(low.out), low.out);
    verdict('cli: coverage shortfall is a FAIL line', /^FAIL coverage 2\/4 is below the required 100%/m.test(low.out), low.out);
    verdict('cli: unexercised operations are listed',
      /^not exercised: GET \/things\/special \(getSpecial\)$/m.test(low.out) && /^not exercised: GET \/files\/\{name\}\.json \(getFile\)$/m.test(low.out), low.out);
    cli('full coverage meets --min-coverage 100', ['--min-coverage', '100', miniSpecFile, file('mini-all.jsonl', lines([
      ex('GET', '/things/1', 200, JSON_CT, { id: 1 }),
      ex('GET', '/things/special', 200, JSON_CT, { special: true }),
      ex('GET', '/files/a.json', 200, 'application/json', {}),
      ex('DELETE', '/empty', 204, null, null),
    ]))], 0, '4 passed, 0 failed');
    cli('--min-coverage out of range is a usage error', ['--min-coverage', '101', SPEC, path.join(SAMPLES, 'good.jsonl')], 2);
    cli('--min-coverage without a number is a usage error', ['--min-coverage', SPEC, path.join(SAMPLES, 'good.jsonl')], 2);
    const drift = cli('drift sample fails', [SPEC, path.join(SAMPLES, 'drift.jsonl')], 1, '1 passed, 7 failed');
    verdict('cli: one FAIL line per drifted exchange', drift.out.split('\n').filter((l) => l.startsWith('FAIL ')).length === 7, drift.out);
    cli('empty log fails', [SPEC, file('empty.jsonl', '\n\n')], 1, '0 passed, 0 failed');
    cli('missing log fails', [SPEC, path.join(tmp, 'absent.jsonl')], 1, '0 passed, 0 failed');
    cli('garbage line fails', [SPEC, file('garbage.jsonl', '{"method":"GET","path":"/healthz","status":200,"content_type":"application/json","body":{"status":"ok"}}\nnot json\n')], 1, '1 passed, 1 failed');
    const miniFile = file('mini.json', JSON.stringify(miniSpec()));
    const miniRoutes = [
      { method: 'GET', path: '/things/{id}' },
      { method: 'GET', path: '/things/special' },
      { method: 'GET', path: '/files/{file}.json' },
      { method: 'DELETE', path: '/empty' },
    ];
    cli('routes in step pass', ['--routes', miniFile, file('routes.json', JSON.stringify(miniRoutes))], 0);
    cli('routes out of step fail', ['--routes', miniFile, file('routes-short.json', JSON.stringify({ routes: miniRoutes.slice(1) }))], 1);
    cli('broken spec is a usage error', [file('bad.yaml', 'openapi: 3.0.0\n'), path.join(SAMPLES, 'good.jsonl')], 2);
    cli('duplicate YAML key is a usage error', [file('dup.yaml', 'openapi: 3.1.0\nopenapi: 3.1.0\n'), path.join(SAMPLES, 'good.jsonl')], 2);
    cli('no arguments is a usage error', [], 2);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

export { runSelftest };

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = runSelftest();
}
