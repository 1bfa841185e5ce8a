#!/usr/bin/env node
// Runs the shell examples of a Markdown document, in order, in one bash
// process (so a block sees the variables and files of the blocks before
// it), and checks them: every block must succeed (set -euo pipefail), and a
// block followed by an output block must print exactly that text (trailing
// spaces and blank lines aside).
//
// Marking in the document:
//   <!-- test -->          before a ```sh block: run it
//   <!-- output -->        before a ```text block right after it: its output
// Unmarked blocks (settings for a real deployment, say) are not run.
//
//   node run-doc.mjs DOC.md WORKDIR
// The environment is passed to bash as it is. Exit 1 on the first failing
// block or any output mismatch; 2 when the document has no marked block.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function docBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  let marker = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '<!-- test -->' || line === '<!-- output -->') {
      marker = { kind: line === '<!-- test -->' ? 'test' : 'output', line: i + 1 };
      continue;
    }
    const fence = /^```(\w*)$/.exec(line);
    if (fence && marker) {
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end].trim() !== '```') end++;
      if (end === lines.length) throw new Error(`line ${i + 1}: unterminated code block`);
      const body = lines.slice(start, end).join('\n');
      if (marker.kind === 'test') {
        if (fence[1] !== 'sh') throw new Error(`line ${i + 1}: <!-- test --> marks a \`\`\`${fence[1]} block, not \`\`\`sh`);
        blocks.push({ line: start + 1, code: body, output: null });
      } else {
        const last = blocks[blocks.length - 1];
        if (!last || last.output !== null || last.end === undefined || lines.slice(last.end + 1, i - 1).some((l) => l.trim() !== '' && l.trim() !== '<!-- output -->')) {
          throw new Error(`line ${i + 1}: <!-- output --> must follow a tested block`);
        }
        last.output = body;
      }
      if (marker.kind === 'test') blocks[blocks.length - 1].end = end;
      marker = null;
      i = end;
      continue;
    }
    if (line !== '') marker = null;
  }
  return blocks;
}

const normalize = (s) => s.split('\n').map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\n+$/, '');

function main([doc, work]) {
  if (!doc || !work) {
    console.error('usage: run-doc.mjs DOC.md WORKDIR');
    return 2;
  }
  const name = path.basename(doc);
  let blocks;
  try {
    blocks = docBlocks(readFileSync(doc, 'utf8'));
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message}`);
    return 2;
  }
  if (blocks.length === 0) {
    console.log(`FAIL ${name}: no <!-- test --> block`);
    return 2;
  }

  const script = ['set -euo pipefail', `cd ${JSON.stringify(work)}`];
  blocks.forEach((b, n) => {
    script.push(
      `# --- block ${n + 1}, ${name} line ${b.line}`,
      `echo ${n + 1} >.doc-block`,
      `exec 3>&1 >.doc-out.${n + 1}`,
      b.code,
      'exec 1>&3 3>&-',
    );
  });
  script.push('echo done >.doc-block');
  const file = path.join(work, '.doc-script.sh');
  writeFileSync(file, `${script.join('\n')}\n`);
  const r = spawnSync('bash', [file], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300000 });

  const reached = existsSync(path.join(work, '.doc-block')) ? readFileSync(path.join(work, '.doc-block'), 'utf8').trim() : '0';
  let failed = 0;
  blocks.forEach((b, n) => {
    const outFile = path.join(work, `.doc-out.${n + 1}`);
    const ran = existsSync(outFile);
    const out = ran ? readFileSync(outFile, 'utf8') : '';
    const where = `block ${n + 1} (${name} line ${b.line})`;
    if (!ran) {
      console.log(`not run - ${where}`);
      failed++;
      return;
    }
    if (reached === String(n + 1)) {
      console.log(`not ok - ${where} failed (exit ${r.status ?? r.signal}); it printed:\n${out.replace(/^/gm, '    ')}`);
      failed++;
      return;
    }
    if (b.output !== null && normalize(out) !== normalize(b.output)) {
      console.log(`not ok - ${where} printed something else than the document shows`);
      console.log(`    expected:\n${b.output.replace(/^/gm, '      ')}\n    got:\n${out.replace(/^/gm, '      ')}`);
      failed++;
      return;
    }
    console.log(`ok - ${where}${b.output !== null ? ', output as shown' : ''}`);
  });
  if (reached === 'done' && r.status !== 0) {
    console.log(`not ok - the examples exited ${r.status ?? r.signal} after the last block`);
    failed++;
  }
  console.log(`${blocks.length - failed} of ${blocks.length} examples of ${name} hold`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
