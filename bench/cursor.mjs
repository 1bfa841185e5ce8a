#!/usr/bin/env node
// A list cursor for another row: decodes CURSOR (base64url of '2', then
// the sort, the last row's id and its sort key, each led by the unit
// separator 0x1f: common/page.c), puts ID and KEY in place of the last
// row's, and prints it encoded again.
//
//   node cursor.mjs CURSOR ID KEY
const [cursor, id, key] = process.argv.slice(2);
const text = Buffer.from(cursor, 'base64url').toString('utf8');
const parts = text.split('\x1f');
if (parts[0] !== '2' || parts.length < 4) {
  console.error('cursor: not a sorted list cursor');
  process.exit(1);
}
process.stdout.write(Buffer.from([parts[0], parts[1], id, key].join('\x1f'), 'utf8')
  .toString('base64url') + '\n');
