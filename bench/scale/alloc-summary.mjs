// Summarises a sampling heap profile (measure.mjs SCALE_ALLOC_PROFILE): bytes
// allocated per function (self), and per function including callees. A
// measuring aid. Usage: node alloc-summary.mjs file [top]
import { readFileSync } from 'node:fs';

const [file, topText = '30'] = process.argv.slice(2);
const { head } = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const total = new Map();
let all = 0;
const name = (f) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
// Built-ins (no url: sort, push, Object.keys…) are charged to their caller too, as "builtin < caller".
function walk(node, stack, parent = '') {
  const own = name(node.callFrame);
  const n = node.callFrame.url === '' && parent ? `${node.callFrame.functionName} < ${parent}` : own;
  self.set(n, (self.get(n) ?? 0) + node.selfSize);
  all += node.selfSize;
  const here = new Set(stack).add(n);
  let sum = node.selfSize;
  for (const c of node.children) sum += walk(c, here, node.callFrame.url === '' ? parent : own);
  if (!stack.has(n)) total.set(n, (total.get(n) ?? 0) + sum);
  return sum;
}
walk(head, new Set());
const MiB = (b) => (b / 1048576).toFixed(1).padStart(8);
console.log(`sampled allocation ${MiB(all)} MiB`);
console.log('self:');
for (const [n, b] of [...self].sort((a, c) => c[1] - a[1]).slice(0, Number(topText))) console.log(`${MiB(b)}  ${n}`);
console.log('with callees:');
for (const [n, b] of [...total].sort((a, c) => c[1] - a[1]).slice(0, Number(topText))) console.log(`${MiB(b)}  ${n}`);
