// Attributes a V8 heap snapshot (measure.mjs SCALE_HEAPSNAPSHOT): self size
// by node type and name, and for the largest groups, by what holds them (the
// name of the first retaining node and the edge). A measuring aid, not part
// of the product. Usage: node --max-old-space-size=8000 heap-summary.mjs file [top]
import { readFileSync } from 'node:fs';

const [file, topText = '25'] = process.argv.slice(2);
const snap = JSON.parse(readFileSync(file, 'utf8'));
const m = snap.snapshot.meta;
const NF = m.node_fields.length;
const EF = m.edge_fields.length;
const nType = m.node_fields.indexOf('type');
const nName = m.node_fields.indexOf('name');
const nSize = m.node_fields.indexOf('self_size');
const nEdges = m.node_fields.indexOf('edge_count');
const eType = m.edge_fields.indexOf('type');
const eName = m.edge_fields.indexOf('name_or_index');
const eTo = m.edge_fields.indexOf('to_node');
const types = m.node_types[0];
const etypes = m.edge_types[0];
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;
const label = (i) => `${types[nodes[i * NF + nType]]}:${String(strings[nodes[i * NF + nName]]).slice(0, 40)}`;
// First retainer of every node (weak edges ignored).
const retainer = new Int32Array(count).fill(-1);
const retEdge = new Array(count);
let e = 0;
for (let i = 0; i < count; i++) {
  const n = nodes[i * NF + nEdges];
  for (let k = 0; k < n; k++, e += EF) {
    const t = etypes[edges[e + eType]];
    if (t === 'weak' || t === 'shortcut') continue;
    const to = edges[e + eTo] / NF;
    if (retainer[to] === -1) {
      retainer[to] = i;
      retEdge[to] = t === 'element' || t === 'hidden' ? `[${t}]` : String(strings[edges[e + eName]]).slice(0, 30);
    }
  }
}
const groups = new Map();
let total = 0;
for (let i = 0; i < count; i++) {
  const size = nodes[i * NF + nSize];
  total += size;
  const g = label(i);
  let x = groups.get(g);
  if (!x) groups.set(g, (x = { size: 0, n: 0, by: new Map() }));
  x.size += size;
  x.n++;
  const r = retainer[i];
  // Two holders up: what holds the holder too (arrays and records are anonymous).
  const r2 = r < 0 ? -1 : retainer[r];
  const by = r < 0 ? '(root)' : `${r2 < 0 ? '' : `${label(r2)} .${retEdge[r]} / `}${label(r)} .${retEdge[i]}`;
  x.by.set(by, (x.by.get(by) ?? 0) + size);
}
const MiB = (b) => (b / 1048576).toFixed(1);
console.log(`total self size ${MiB(total)} MiB, ${count} nodes`);
for (const [g, x] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, Number(topText))) {
  console.log(`${MiB(x.size).padStart(7)} MiB ${String(x.n).padStart(9)}  ${g}`);
  for (const [by, s] of [...x.by].sort((a, b) => b[1] - a[1]).slice(0, 4)) if (s > 262144) console.log(`          ${MiB(s).padStart(7)}  <- ${by}`);
}
