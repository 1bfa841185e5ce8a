#!/usr/bin/env node
// make bench's figures (bench/run.sh).
//
//   node report.mjs pgbench NAME LATENCY_LOG < pgbench-output
//     one JSON line: the ceiling's transactions/s, p50/p99 (from pgbench's
//     per-transaction log, microseconds) and failures
//   node report.mjs table WORKDIR PERFORMANCE_MD key=value...
//     prints the table (results.jsonl, rss-idle.txt, rss-load.txt) with
//     each target met or missed, and writes it into PERFORMANCE_MD between
//     the "bench:begin" and "bench:end" markers
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';

function percentile(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function pgbench(name, logPath) {
  const out = readFileSync(0, 'utf8');
  const tps = Number(out.match(/tps = ([\d.]+) \(without initial connection time\)/)?.[1]);
  const done = Number(out.match(/number of transactions actually processed: (\d+)/)?.[1] ?? 0);
  const failed = Number(out.match(/number of failed transactions: (\d+)/)?.[1] ?? 0);
  const aborted = /client \d+ aborted/.test(out) ? 1 : 0;
  const lat = readFileSync(logPath, 'utf8').split('\n').filter(Boolean)
    .map((l) => Number(l.split(' ')[2])).sort((a, b) => a - b);
  if (!Number.isFinite(tps)) {
    console.error(out);
    throw new Error(`report: no tps in pgbench's output for ${name}`);
  }
  console.log(JSON.stringify({ name, kind: 'pgbench', tps, transactions: done,
    failed: failed + aborted, p50_us: percentile(lat, 50), p99_us: percentile(lat, 99) }));
}

const LABELS = {
  get_asset: 'GET /assets/{id}',
  list_first: 'GET /assets (first page)',
  list_deep: 'GET /assets (cursor at row 900,000)',
  create_asset: 'POST /assets',
  soa: 'GET /soa',
  heatmap: 'GET /risks/heatmap',
  login: 'POST /auth/login',
};
// Endpoint / ceiling ratio targets (issue: GET by id 0.6, create 0.5).
const RATIO_TARGET = { get_asset: 0.6, create_asset: 0.5 };
const P99_TARGET_MS = 10;
const RSS_TARGET_MIB = 16;

const ms = (us) => (us / 1000).toFixed(2);

function machine() {
  const cpu = os.cpus();
  const pg = (() => {
    try { return execFileSync('/usr/lib/postgresql/15/bin/postgres', ['--version']).toString().trim(); }
    catch { return 'PostgreSQL ?'; }
  })();
  // nginx -v prints to stderr.
  const nginx = ['nginx', '/usr/sbin/nginx']
    .map((bin) => spawnSync(bin, ['-v'], { encoding: 'utf8' }))
    .map((r) => (r.stderr || r.stdout || '').trim())
    .find((v) => v) ?? 'nginx ?';
  return `${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `Linux ${os.release()}; ${pg}; ${nginx.replace(/^nginx version: /, '')}`;
}

function table(dir, mdPath, kv) {
  const opts = Object.fromEntries(kv.map((s) => s.split(/=(.*)/s).slice(0, 2)));
  const rows = readFileSync(`${dir}/results.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const http = new Map(rows.filter((r) => r.kind === 'http').map((r) => [r.name, r.wrk]));
  const ceil = new Map(rows.filter((r) => r.kind === 'pgbench').map((r) => [r.name, r]));
  const rss = (f) => existsSync(f) ? Object.fromEntries(readFileSync(f, 'utf8').split('\n')
    .filter(Boolean).map((l) => { const [s, k] = l.split(' '); return [s, Number(k) / 1024]; })) : {};
  const idle = rss(`${dir}/rss-idle.txt`);
  const load = rss(`${dir}/rss-load.txt`);
  const misses = [];

  const lines = [
    '| endpoint | req/s | p50 ms | p99 ms | errors | ceiling tx/s | ceiling p50 ms | ceiling p99 ms | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const rate = {};
  for (const [name, label] of Object.entries(LABELS)) {
    const w = http.get(name);
    const c = ceil.get(name);
    if (!w || !c) continue;
    const rps = w.requests / (w.duration_us / 1e6);
    rate[name] = rps;
    const errors = w.connect + w.read + w.write + w.timeout + w.status;
    const ratio = rps / c.tps;
    lines.push(`| ${label} | ${rps.toFixed(0)} | ${ms(w.p50_us)} | ${ms(w.p99_us)} | ${errors} | ` +
      `${c.tps.toFixed(0)} | ${ms(c.p50_us)} | ${ms(c.p99_us)} | ${ratio.toFixed(2)} |`);
    if (errors > 0) misses.push(`${label}: ${errors} errors (target 0)`);
    if (c.failed > 0) misses.push(`${label}: the ceiling run had ${c.failed} failed transactions`);
    if (w.p99_us / 1000 >= P99_TARGET_MS)
      misses.push(`${label}: p99 ${ms(w.p99_us)} ms (target under ${P99_TARGET_MS} ms)`);
    if (RATIO_TARGET[name] && ratio < RATIO_TARGET[name])
      misses.push(`${label}: ${ratio.toFixed(2)} of its ceiling (target ${RATIO_TARGET[name]})`);
  }
  if (rate.list_first && rate.list_deep && rate.list_first / rate.list_deep > 1.2)
    misses.push(`deep page: ${(rate.list_first / rate.list_deep).toFixed(2)}x slower than the first (target within 1.2x)`);

  const rssLines = ['| service | RSS idle MiB | RSS after the load MiB |', '|---|---:|---:|'];
  for (const svc of Object.keys(idle)) {
    rssLines.push(`| isms-${svc} | ${idle[svc].toFixed(1)} | ${(load[svc] ?? 0).toFixed(1)} |`);
    if (idle[svc] >= RSS_TARGET_MIB)
      misses.push(`isms-${svc}: ${idle[svc].toFixed(1)} MiB idle (target under ${RSS_TARGET_MIB} MiB)`);
  }

  // /proc/stat's cpu line: user nice system idle iowait irq softirq steal.
  const cpu = (f) => existsSync(f) ? readFileSync(f, 'utf8').trim().split(/\s+/).slice(1, 9).map(Number) : null;
  const [c0, c1] = [cpu(`${dir}/cpu-start.txt`), cpu(`${dir}/cpu-end.txt`)];
  const steal = c0 && c1
    ? (c1[7] - c0[7]) / c1.reduce((sum, v, i) => sum + v - c0[i], 0) : null;

  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const text = [
    `Run of \`make bench\` on ${when}: ${opts.connections} connections, ${opts.seconds} s per run, ` +
    (/^\d+$/.test(opts.seed_seconds ?? '') ? `seeding ${opts.seed_seconds} s` : 'the data set of the previous run (BENCH_REUSE=1)') +
    `, ${opts.total_seconds} s in all.`,
    '',
    `Machine: ${machine()}.` +
    (steal === null ? '' : ` CPU stolen by the hypervisor while measuring: ${(steal * 100).toFixed(1)} %.`),
    '',
    ...lines,
    '',
    ...rssLines,
    '',
    misses.length ? 'Targets missed:' : 'Every target met.',
    ...misses.map((m) => `- ${m}`),
  ].join('\n');
  console.log(text);

  if (mdPath && existsSync(mdPath)) {
    const md = readFileSync(mdPath, 'utf8');
    const begin = '<!-- bench:begin -->';
    const end = '<!-- bench:end -->';
    const i = md.indexOf(begin);
    const j = md.indexOf(end);
    if (i < 0 || j < i) throw new Error(`report: no ${begin} ... ${end} in ${mdPath}`);
    writeFileSync(mdPath, md.slice(0, i + begin.length) + '\n' + text + '\n' + md.slice(j));
    console.log(`\nwritten to ${mdPath}`);
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'pgbench') pgbench(args[0], args[1]);
else if (mode === 'table') table(args[0], args[1], args.slice(2));
else {
  console.error('usage: report.mjs pgbench NAME LOG < output | table DIR MD key=value...');
  process.exit(2);
}
