/**
 * Where a heap snapshot's bytes are: `node dist/bench/heap-summary.js FILE [--top N] [--largest N]`.
 * Sums the self size of every node by type and constructor (or, for strings, by a short prefix of the
 * text, so repeated label values, node names and address names show up as groups). `--largest N`
 * also prints the N largest single nodes with a chain of retainers (who keeps them alive).
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
    node_count: number;
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Prints the `count` largest nodes, each with one chain of retainers (weak edges skipped). */
function printLargest(snap: Snapshot, count: number): void {
  const nf = snap.snapshot.meta.node_fields;
  const ef = snap.snapshot.meta.edge_fields;
  const nodeTypes = snap.snapshot.meta.node_types[0];
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const nw = nf.length;
  const ew = ef.length;
  const [typeAt, nameAt, sizeAt, edgesAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
    nf.indexOf(f),
  );
  const [eTypeAt, eNameAt, eToAt] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f));
  const n = snap.nodes.length / nw;
  // First strong retainer of each node (edge index), found by one pass over every edge.
  const retainer = new Int32Array(n).fill(-1);
  const retainerEdge = new Int32Array(n).fill(-1);
  for (let node = 0, e = 0; node < n; node++) {
    const edges = snap.nodes[node * nw + (edgesAt as number)] as number;
    for (let k = 0; k < edges; k++, e += ew) {
      const to = (snap.edges[e + (eToAt as number)] as number) / nw;
      const etype = edgeTypes[snap.edges[e + (eTypeAt as number)] as number];
      if (etype === 'weak' || retainer[to] !== -1) continue;
      retainer[to] = node;
      retainerEdge[to] = e;
    }
  }
  const label = (node: number): string => {
    const type = nodeTypes[snap.nodes[node * nw + (typeAt as number)] as number] ?? '?';
    const name = snap.strings[snap.nodes[node * nw + (nameAt as number)] as number] ?? '';
    return `${type} ${JSON.stringify(name.slice(0, 50))}`;
  };
  const order = [...Array(n).keys()]
    .sort(
      (a, b) =>
        (snap.nodes[b * nw + (sizeAt as number)] as number) -
        (snap.nodes[a * nw + (sizeAt as number)] as number),
    )
    .slice(0, count);
  for (const node of order) {
    const size = snap.nodes[node * nw + (sizeAt as number)] as number;
    const chain: string[] = [];
    for (let at = node, depth = 0; retainer[at] !== -1 && depth < 40; depth++) {
      const e = retainerEdge[at] as number;
      const etype = edgeTypes[snap.edges[e + (eTypeAt as number)] as number];
      const ename = snap.edges[e + (eNameAt as number)] as number;
      const edgeName = etype === 'element' || etype === 'hidden' ? `[${ename}]` : (snap.strings[ename] ?? '');
      at = retainer[at] as number;
      chain.push(`${edgeName} ← ${label(at)}`);
    }
    console.log(
      `${(size / 1024).toFixed(0).padStart(7)} KB ${label(node)}\n          ${chain.join('\n          ')}`,
    );
  }
}

function stringGroup(text: string): string {
  // Digits and hex runs vary from object to object; the rest says what the string is.
  return text
    .slice(0, 40)
    .replace(/[0-9a-f]{6,}/g, '<hex>')
    .replace(/\d+/g, '<n>');
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: heap-summary FILE [--top N]');
  const t = process.argv.indexOf('--top');
  const top = t > 0 ? Number(process.argv[t + 1]) : 30;
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number] ?? '?';
    const name = snap.strings[snap.nodes[i + nameAt] as number] ?? '';
    const size = snap.nodes[i + sizeAt] as number;
    total += size;
    const key =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? `string "${stringGroup(name)}"`
        : `${type} ${name.slice(0, 60)}`;
    const g = groups.get(key) ?? { bytes: 0, count: 0 };
    g.bytes += size;
    g.count++;
    groups.set(key, g);
  }
  const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
  console.log(`total self size ${mb(total)} MB in ${snap.snapshot.node_count} nodes`);
  const sorted = [...groups.entries()].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top);
  for (const [key, g] of sorted)
    console.log(`${mb(g.bytes).padStart(7)} MB ${String(g.count).padStart(9)} × ${key}`);
  const l = process.argv.indexOf('--largest');
  if (l > 0) printLargest(snap, Number(process.argv[l + 1]));
}

main();
