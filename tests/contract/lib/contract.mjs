// The contract checker: loads an OpenAPI 3.1 document, finds the operation
// and response that a recorded HTTP exchange claims to be, and validates the
// exchange against it. Also compares the spec's operations with the routes
// the services serve. No I/O beyond reading the spec; the CLI and the self
// test drive it.

import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Base URI under which the whole document is registered with ajv, so that a
// schema's "#/components/schemas/X" resolves against the document root.
const SPEC_ID = 'urn:isms:openapi';

// Keywords of the OpenAPI 3.1 base dialect that carry no validation.
const OAS_ANNOTATIONS = ['example', 'discriminator', 'xml', 'externalDocs'];

// The fields of the OpenAPI Object itself. ajv compiles the registered
// document's root as a schema; these must not trip strict mode there.
const OAS_ROOT_FIELDS = ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags'];

export class SpecError extends Error {}

// ---------------------------------------------------------------- pointers

function escapeSegment(s) {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeSegment(s) {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

// A pointer (array of raw segments) as the fragment of a URI reference.
function pointerToRef(segs, base = '') {
  if (segs.length === 0) return `${base}#`;
  return `${base}#/${segs.map((s) => encodeURIComponent(escapeSegment(s))).join('/')}`;
}

export function pointerToString(segs) {
  return segs.length === 0 ? '#' : `#/${segs.map(escapeSegment).join('/')}`;
}

function refToPointer(ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#')) {
    throw new SpecError(`only internal $ref is supported, got ${JSON.stringify(ref)}`);
  }
  let frag;
  try {
    frag = decodeURIComponent(ref.slice(1));
  } catch {
    throw new SpecError(`malformed $ref ${JSON.stringify(ref)}`);
  }
  if (frag === '') return [];
  if (!frag.startsWith('/')) {
    throw new SpecError(`$ref ${JSON.stringify(ref)}: only JSON-pointer fragments are supported`);
  }
  return frag.slice(1).split('/').map(unescapeSegment);
}

function getAt(doc, segs, ref) {
  let cur = doc;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, s)) {
      throw new SpecError(`unresolvable $ref ${JSON.stringify(ref)}`);
    }
    cur = cur[s];
  }
  return cur;
}

// Follows a chain of Reference Objects; returns the target and its pointer.
function deref(doc, value, segs) {
  const seen = new Set();
  while (value !== null && typeof value === 'object' && typeof value.$ref === 'string') {
    if (seen.has(value.$ref)) throw new SpecError(`$ref cycle at ${value.$ref}`);
    seen.add(value.$ref);
    segs = refToPointer(value.$ref);
    value = getAt(doc, segs, value.$ref);
  }
  return { value, segs };
}

// Every $ref anywhere in the document must be internal and resolve.
function checkAllRefs(doc) {
  const walk = (node, segs) => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, [...segs, String(i)]));
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') {
          try {
            getAt(doc, refToPointer(v), v);
          } catch (e) {
            throw new SpecError(`${pointerToString(segs)}: ${e.message}`);
          }
        } else if (k === 'example' || k === 'examples' || k === 'default' || k === 'const' || k === 'enum') {
          // literal values, not schema or spec structure
        } else {
          walk(v, [...segs, k]);
        }
      }
    }
  };
  walk(doc, []);
}

function collectExtensionKeys(node, out = new Set()) {
  if (Array.isArray(node)) {
    node.forEach((v) => collectExtensionKeys(v, out));
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k.startsWith('x-')) out.add(k);
      collectExtensionKeys(v, out);
    }
  }
  return out;
}

// ------------------------------------------------------------- templates

// One path template as a list of segment matchers. rank: 2 literal,
// 1 literal text around a parameter, 0 a whole-segment parameter.
function compileTemplate(template) {
  if (typeof template !== 'string' || !template.startsWith('/')) {
    throw new SpecError(`path ${JSON.stringify(template)} must start with "/"`);
  }
  return template.split('/').map((seg) => {
    if (!seg.includes('{')) return { rank: 2, literal: seg };
    const parts = seg.split(/(\{[^{}/]+\})/).filter((p) => p !== '');
    let re = '';
    for (const p of parts) {
      if (p.startsWith('{') && p.endsWith('}')) re += '([^/]+?)';
      else if (/[{}]/.test(p)) throw new SpecError(`path ${JSON.stringify(template)}: malformed segment ${JSON.stringify(seg)}`);
      else re += p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    return { rank: parts.length === 1 ? 0 : 1, re: new RegExp(`^${re}$`) };
  });
}

// Template with parameter names erased, so that equivalent templates compare equal.
export function normalizeTemplate(path) {
  return path
    .split('/')
    .map((seg) => {
      if (/^:[A-Za-z_][A-Za-z0-9_]*$/.test(seg) || seg === '*' || /^<[^<>]+>$/.test(seg)) return '{}';
      return seg.replace(/\{[^{}/]+\}/g, '{}');
    })
    .join('/');
}

function matchSegments(matchers, segs) {
  if (matchers.length !== segs.length) return false;
  for (let i = 0; i < segs.length; i++) {
    const m = matchers[i];
    if (m.rank === 2 ? m.literal !== segs[i] : !m.re.test(segs[i])) return false;
  }
  return true;
}

function moreSpecific(a, b) {
  for (let i = 0; i < a.length; i++) {
    if (a[i].rank !== b[i].rank) return a[i].rank > b[i].rank;
  }
  return false;
}

// -------------------------------------------------------------- media types

function mediaType(value) {
  if (typeof value !== 'string') return '';
  return value.split(';')[0].trim().toLowerCase();
}

function isJsonMedia(mt) {
  return mt === 'application/json' || mt.endsWith('+json');
}

function mediaMatches(declared, actual) {
  const d = mediaType(declared);
  if (d === actual || d === '*/*') return true;
  const [dt, ds] = d.split('/');
  return ds === '*' && actual.split('/')[0] === dt;
}

function formatAjvErrors(errors) {
  return (errors ?? []).map((e) => {
    let msg = `body${e.instancePath} ${e.message}`;
    const p = e.params ?? {};
    if (e.keyword === 'additionalProperties') msg += ` (${JSON.stringify(p.additionalProperty)})`;
    else if (e.keyword === 'enum') msg += ` ${JSON.stringify(p.allowedValues)}`;
    else if (e.keyword === 'const') msg += ` ${JSON.stringify(p.allowedValue)}`;
    return msg;
  });
}

// -------------------------------------------------------------- the spec

export function loadSpecFile(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SpecError(`cannot read spec ${file}: ${e.message}`);
  }
  let doc;
  try {
    doc = YAML.parse(text, { uniqueKeys: true, prettyErrors: true });
  } catch (e) {
    throw new SpecError(`cannot parse spec ${file}: ${e.message}`);
  }
  return doc;
}

// Compiles a spec document into a checker. Throws SpecError when the document
// is unusable: not 3.1, external or dangling $ref, bad schema, an operation
// without operationId or responses, duplicate operationIds or equivalent path
// templates. Every schema is compiled here, exercised or not.
export function compileSpec(doc) {
  if (doc === null || typeof doc !== 'object') throw new SpecError('spec is not an object');
  if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.1.')) {
    throw new SpecError(`expected "openapi: 3.1.x", got ${JSON.stringify(doc.openapi)}`);
  }
  checkAllRefs(doc);

  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictTypes: true,
    strictTuples: true,
    strictRequired: false,
    allowUnionTypes: true,
    validateFormats: true,
  });
  addFormats(ajv);
  ajv.addVocabulary([...OAS_ANNOTATIONS, ...OAS_ROOT_FIELDS]);
  for (const k of collectExtensionKeys(doc)) ajv.addKeyword(k);
  try {
    ajv.addSchema(doc, SPEC_ID);
  } catch (e) {
    throw new SpecError(`spec rejected by the schema compiler: ${e.message}`);
  }

  const validators = new Map();
  const schemaAt = (segs) => {
    const key = pointerToString(segs);
    if (!validators.has(key)) {
      try {
        validators.set(key, ajv.compile({ $ref: pointerToRef(segs, SPEC_ID) }));
      } catch (e) {
        throw new SpecError(`schema at ${key}: ${e.message}`);
      }
    }
    return validators.get(key);
  };

  for (const name of Object.keys(doc.components?.schemas ?? {})) {
    schemaAt(['components', 'schemas', name]);
  }

  // A Responses Object as a map from status key to {code, media, requiredHeaders}.
  function compileResponses(raw, segs, where) {
    const responses = new Map();
    for (const [code, rawResp] of Object.entries(raw)) {
      if (!/^([1-5][0-9][0-9]|[1-5]XX|default)$/.test(code)) {
        throw new SpecError(`${where}: invalid response key ${JSON.stringify(code)}`);
      }
      const resp = deref(doc, rawResp, [...segs, code]);
      const media = [];
      for (const [mt, rawMedia] of Object.entries(resp.value?.content ?? {})) {
        const md = deref(doc, rawMedia, [...resp.segs, 'content', mt]);
        const hasSchema = md.value?.schema !== undefined;
        media.push({ type: mt, validate: hasSchema ? schemaAt([...md.segs, 'schema']) : null });
      }
      const requiredHeaders = [];
      for (const [h, rawHeader] of Object.entries(resp.value?.headers ?? {})) {
        const hd = deref(doc, rawHeader, [...resp.segs, 'headers', h]);
        if (hd.value?.required === true && h.toLowerCase() !== 'content-type') requiredHeaders.push(h);
      }
      responses.set(code, { code, media, requiredHeaders });
    }
    return responses;
  }

  // Answers the platform gives to requests outside `paths`: "no-path" when
  // no template matches, "no-method" when the path has no such operation.
  const unmatched = { 'no-path': new Map(), 'no-method': new Map() };
  const ext = doc['x-unmatched-responses'];
  if (ext !== undefined) {
    if (ext === null || typeof ext !== 'object') throw new SpecError('x-unmatched-responses must be an object');
    for (const [kind, raw] of Object.entries(ext)) {
      if (!(kind in unmatched)) throw new SpecError(`x-unmatched-responses: unknown key ${JSON.stringify(kind)}`);
      unmatched[kind] = compileResponses(raw ?? {}, ['x-unmatched-responses', kind], `x-unmatched-responses ${kind}`);
    }
  }

  const paths = [];
  const operations = [];
  const opIds = new Map();
  const shapes = new Map();
  for (const [template, rawItem] of Object.entries(doc.paths ?? {})) {
    const matchers = compileTemplate(template);
    const shape = normalizeTemplate(template);
    if (shapes.has(shape)) {
      throw new SpecError(`paths ${JSON.stringify(shapes.get(shape))} and ${JSON.stringify(template)} are equivalent`);
    }
    shapes.set(shape, template);
    const item = deref(doc, rawItem, ['paths', template]);
    const pathOps = new Map();
    for (const m of METHODS) {
      const op = item.value?.[m];
      if (op === undefined) continue;
      const where = `${m.toUpperCase()} ${template}`;
      if (typeof op.operationId !== 'string' || op.operationId === '') {
        throw new SpecError(`${where}: missing operationId`);
      }
      if (opIds.has(op.operationId)) {
        throw new SpecError(`${where}: operationId ${op.operationId} also used by ${opIds.get(op.operationId)}`);
      }
      opIds.set(op.operationId, where);
      if (!op.responses || Object.keys(op.responses).length === 0) {
        throw new SpecError(`${where}: no responses`);
      }
      const opSegs = [...item.segs, m];
      const responses = compileResponses(op.responses, [...opSegs, 'responses'], where);
      // Request bodies and parameters are not recorded, but their schemas must compile.
      if (op.requestBody !== undefined) {
        const rb = deref(doc, op.requestBody, [...opSegs, 'requestBody']);
        for (const [mt, rawMedia] of Object.entries(rb.value?.content ?? {})) {
          const md = deref(doc, rawMedia, [...rb.segs, 'content', mt]);
          if (md.value?.schema !== undefined) schemaAt([...md.segs, 'schema']);
        }
      }
      const params = [
        ...(item.value.parameters ?? []).map((p, i) => [p, [...item.segs, 'parameters', String(i)]]),
        ...(op.parameters ?? []).map((p, i) => [p, [...opSegs, 'parameters', String(i)]]),
      ];
      for (const [rawParam, segs] of params) {
        const p = deref(doc, rawParam, segs);
        if (p.value?.schema !== undefined) schemaAt([...p.segs, 'schema']);
        if (p.value?.in === 'path' && !template.includes(`{${p.value.name}}`)) {
          throw new SpecError(`${where}: path parameter ${p.value.name} is not in the template`);
        }
      }
      // Who may call it: `security: []` makes an operation public; x-roles
      // lists the roles of the others. checkRoutes compares both with the
      // services' route tables.
      const security = op.security ?? doc.security;
      const entry = {
        method: m.toUpperCase(),
        template,
        operationId: op.operationId,
        responses,
        public: Array.isArray(security) && security.length === 0,
        roles: Array.isArray(op['x-roles']) ? op['x-roles'] : null,
      };
      operations.push(entry);
      pathOps.set(m.toUpperCase(), entry);
    }
    paths.push({ template, matchers, operations: pathOps });
  }

  function findPath(path) {
    const segs = path.split('/');
    let best = null;
    for (const p of paths) {
      if (!matchSegments(p.matchers, segs)) continue;
      if (best === null || moreSpecific(p.matchers, best.matchers)) best = p;
    }
    return best;
  }

  // Checks one recorded exchange. Returns { operation, failures: [string] }.
  function checkExchange(ex) {
    const failures = [];
    if (ex === null || typeof ex !== 'object' || Array.isArray(ex)) {
      return { operation: null, failures: ['record is not a JSON object'] };
    }
    const { method, status } = ex;
    if (typeof method !== 'string' || method === '') failures.push('record has no "method" string');
    if (typeof ex.path !== 'string' || !ex.path.startsWith('/')) failures.push('record has no "path" starting with "/"');
    if (!Number.isInteger(status) || status < 100 || status > 599) failures.push('record has no integer "status" in 100..599');
    if (failures.length) return { operation: null, failures };

    const path = ex.path.split('?')[0];
    const p = findPath(path);
    if (p === null) {
      const resp = pickResponse(unmatched['no-path'], status);
      if (resp === undefined) return { operation: null, failures: [`no path in the spec matches (status ${status})`] };
      return { operation: null, failures: checkResponse(resp, ex) };
    }
    const op = p.operations.get(method.toUpperCase());
    if (op === undefined) {
      const resp = pickResponse(unmatched['no-method'], status);
      if (resp === undefined) {
        const allowed = [...p.operations.keys()].join(', ');
        return { operation: null, failures: [`path ${p.template} has no ${method.toUpperCase()} operation (spec has: ${allowed})`] };
      }
      return { operation: null, failures: checkResponse(resp, ex) };
    }

    const resp = pickResponse(op.responses, status);
    if (resp === undefined) {
      const declared = [...op.responses.keys()].join(', ');
      return { operation: op, failures: [`status ${status} not declared for ${op.operationId} (declared: ${declared})`] };
    }
    return { operation: op, failures: checkResponse(resp, ex) };
  }

  return { operations, checkExchange };
}

// The Response Object for a status: the exact code, else its range (4XX),
// else default (the precedence OpenAPI defines).
function pickResponse(responses, status) {
  const code = String(status);
  return responses.get(code) ?? responses.get(`${code[0]}XX`) ?? responses.get('default');
}

function checkResponse(resp, ex) {
  const failures = [];
  const ct = mediaType(ex.content_type);
  const hasBody = (ex.body !== undefined && ex.body !== null) || (typeof ex.raw === 'string' && ex.raw !== '');
  if (resp.media.length === 0) {
    if (ct !== '' || hasBody) failures.push(`response ${resp.code} declares no content, got ${ct || 'a body'}`);
  } else if (ct === '') {
    failures.push(`no Content-Type; expected ${resp.media.map((m) => m.type).join(' or ')}`);
  } else {
    const media =
      resp.media.find((m) => mediaType(m.type) === ct) ?? resp.media.find((m) => mediaMatches(m.type, ct));
    if (media === undefined) {
      failures.push(`content type ${ct} not declared for ${resp.code}; expected ${resp.media.map((m) => m.type).join(' or ')}`);
    } else if (media.validate !== null) {
      if (isJsonMedia(ct)) {
        if (ex.body === undefined || (ex.body === null && typeof ex.raw === 'string' && ex.raw !== '')) {
          const raw = typeof ex.raw === 'string' ? `: ${JSON.stringify(ex.raw.slice(0, 80))}` : '';
          failures.push(`body is not valid JSON${raw}`);
        } else if (!media.validate(ex.body)) {
          failures.push(...formatAjvErrors(media.validate.errors));
        }
      } else {
        const data = typeof ex.raw === 'string' ? ex.raw : ex.body;
        if (!media.validate(data)) failures.push(...formatAjvErrors(media.validate.errors));
      }
    }
  }

  // Headers are optional in the log; when recorded, required ones must be there.
  if (ex.headers !== null && typeof ex.headers === 'object' && !Array.isArray(ex.headers)) {
    const have = new Set(Object.keys(ex.headers).map((h) => h.toLowerCase()));
    for (const h of resp.requiredHeaders) {
      if (!have.has(h.toLowerCase())) failures.push(`missing response header ${h}`);
    }
  }
  return failures;
}

// --------------------------------------------------------------- routes

// Compares the spec's operations with the routes the services serve
// (a list of {method, path}; path parameters written {name}, :name, <name>
// or *). Returns the entries found on one side only. A route may also say
// who may call it: "public" (boolean: served without a credential) and
// "roles" (the roles allowed otherwise); each that is present must agree
// with the operation's `security: []` and `x-roles` (reported in
// `mismatches`).
export function checkRoutes(operations, routes) {
  const problems = [];
  const served = new Map();
  routes.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || typeof r.method !== 'string' || typeof r.path !== 'string' || !r.path.startsWith('/')) {
      problems.push(`route #${i} is not {"method": "...", "path": "/..."}: ${JSON.stringify(r)}`);
      return;
    }
    served.set(`${r.method.toUpperCase()} ${normalizeTemplate(r.path)}`, { text: `${r.method.toUpperCase()} ${r.path}`, route: r });
  });
  const specified = new Map();
  for (const op of operations) {
    specified.set(`${op.method} ${normalizeTemplate(op.template)}`, op);
  }
  const opText = (op) => `${op.method} ${op.template} (${op.operationId})`;
  const onlyServed = [...served].filter(([k]) => !specified.has(k)).map(([, v]) => v.text);
  const onlySpec = [...specified].filter(([k]) => !served.has(k)).map(([, op]) => opText(op));
  const mismatches = [];
  const list = (roles) => (roles.length ? [...roles].sort().join(', ') : 'none');
  for (const [k, { route }] of served) {
    const op = specified.get(k);
    if (op === undefined) continue;
    if (typeof route.public === 'boolean' && route.public !== (op.public ?? false)) {
      mismatches.push(
        `${opText(op)}: the service serves it ${route.public ? 'without' : 'only with'} a credential; ` +
          `the spec says ${op.public ? 'security: []' : 'a credential is required'}`,
      );
    }
    if (Array.isArray(route.roles) && route.public !== true) {
      if (!Array.isArray(op.roles)) {
        mismatches.push(`${opText(op)}: no x-roles in the spec; the service allows ${list(route.roles)}`);
      } else if (list(route.roles) !== list(op.roles)) {
        mismatches.push(`${opText(op)}: x-roles says ${list(op.roles)}; the service allows ${list(route.roles)}`);
      }
    }
  }
  return { problems, served: served.size, specified: specified.size, onlyServed, onlySpec, mismatches };
}
