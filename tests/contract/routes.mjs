#!/usr/bin/env node
// Collects the routes the five services serve, as nginx exposes them, for
// `validate.mjs --routes`. Each service prints its route table without
// starting (ISMS_PRINT_ROUTES=1, common/server.c); the built-in /healthz
// and /readyz of every service are reached through nginx as
// /healthz/{service} and /readyz/{service}, and nginx answers /healthz
// itself. Also checks that nginx's configuration (nginx/nginx.conf.in)
// sends every route's path to the service that serves it.
//
//   node routes.mjs BIN_DIR NGINX_TEMPLATE OUT.json
//
// Exit 1 when a service cannot print its table or nginx would send a path
// elsewhere; OUT.json is written in every case that got the tables.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SERVICES = ['auth', 'assets', 'risks', 'controls', 'audits'];

// The location blocks of the template, in order: {modifier, pattern, pass}.
// pass is the fastcgi_pass target ("isms_$svc" kept as written), or null.
export function nginxLocations(text) {
  const locations = [];
  const re = /^\s*location\s+(?:(=|~\*|~|\^~)\s+)?(\S+)\s*\{/gm;
  let m;
  while ((m = re.exec(text)) !== null) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
    }
    const body = text.slice(re.lastIndex, i);
    const pass = body.match(/^\s*fastcgi_pass\s+([^;\s]+)\s*;/m);
    locations.push({ modifier: m[1] ?? '', pattern: m[2], pass: pass ? pass[1] : null });
  }
  return locations;
}

// nginx's choice for a URI: an exact match; else the longest prefix, unless
// it is not ^~ and a regex (in order) matches. Returns the location and the
// regex's named groups.
export function nginxMatch(locations, uri) {
  const exact = locations.find((l) => l.modifier === '=' && l.pattern === uri);
  if (exact) return { location: exact, groups: {} };
  let prefix = null;
  for (const l of locations) {
    if ((l.modifier === '' || l.modifier === '^~') && uri.startsWith(l.pattern)) {
      if (prefix === null || l.pattern.length > prefix.pattern.length) prefix = l;
    }
  }
  if (prefix === null || prefix.modifier !== '^~') {
    for (const l of locations) {
      if (l.modifier !== '~' && l.modifier !== '~*') continue;
      const m = new RegExp(l.pattern, l.modifier === '~*' ? 'i' : '').exec(uri);
      if (m) return { location: l, groups: m.groups ?? {} };
    }
  }
  return prefix ? { location: prefix, groups: {} } : null;
}

function main([binDir, template, out]) {
  if (!binDir || !template || !out) {
    console.error('usage: routes.mjs BIN_DIR NGINX_TEMPLATE OUT.json');
    return 2;
  }
  const routes = [{ method: 'GET', path: '/healthz', public: true, roles: [], service: 'nginx' }];
  let failed = 0;
  const probes = new Set();
  for (const svc of SERVICES) {
    const prog = path.join(binDir, `isms-${svc}`);
    // No other setting: printing the table must not need any.
    const r = spawnSync(prog, [], { env: { ISMS_PRINT_ROUTES: '1' }, encoding: 'utf8' });
    let table;
    try {
      if (r.error) throw r.error;
      if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr.trim()}`);
      table = JSON.parse(r.stdout);
    } catch (e) {
      console.log(`FAIL isms-${svc} did not print its routes: ${e.message}`);
      failed++;
      continue;
    }
    for (const route of table.routes) {
      if (route.path === '/healthz' || route.path === '/readyz') {
        // One operation for all five: /healthz/{service}, /readyz/{service}.
        const key = `${route.method} ${route.path}`;
        if (!probes.has(key)) {
          probes.add(key);
          routes.push({ ...route, path: `${route.path}/{service}`, service: '*' });
        }
        continue;
      }
      routes.push({ ...route, service: svc });
    }
  }

  const locations = nginxLocations(readFileSync(template, 'utf8'));
  const sample = (p) => p.replace(/\{[^}/]+\}/g, 'x1');
  for (const route of routes) {
    const targets = route.service === '*' ? SERVICES : [route.service];
    for (const svc of targets) {
      const uri = route.service === '*' ? route.path.replace('{service}', svc) : sample(route.path);
      const found = nginxMatch(locations, uri);
      const pass = found?.location.pass?.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, v) => found.groups[v] ?? `$${v}`);
      const want = svc === 'nginx' ? null : `isms_${svc}`;
      if (pass !== want && !(svc === 'nginx' && found && found.location.pass === null)) {
        const where = found ? `location ${found.location.modifier} ${found.location.pattern}`.replace('  ', ' ') : 'no location';
        console.log(`FAIL nginx sends ${route.method} ${uri} to ${pass ?? 'no service'} (${where}); isms-${svc} serves it`);
        failed++;
      }
    }
  }
  writeFileSync(out, `${JSON.stringify({ routes }, null, 2)}\n`);
  console.log(`${routes.length} routes collected from ${SERVICES.length} services and nginx; ${failed} problems`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
