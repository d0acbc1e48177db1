/**
 * Where a heap snapshot's bytes are: `node dist/bench/heap-summary.js FILE [--top N] [--largest N]`.
 * Sums the self size of every node by type and constructor (or, for strings, by a short prefix of the
 * text, so repeated label values, node names and address names show up as groups). `--largest N`
 * also prints the N largest single nodes with their shortest chain of retainers (who keeps them alive).
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

/**
 * Prints the `count` largest nodes, each with its shortest chain of retainers from the GC roots
 * (breadth-first over strong edges, as DevTools' "distance"): the first retainer found is often a
 * long chain of closures that says nothing about who keeps the object alive.
 */
function printLargest(snap: Snapshot, count: number): void {
  const nf = snap.snapshot.meta.node_fields;
  const ef = snap.snapshot.meta.edge_fields;
  const nodeTypes = snap.snapshot.meta.node_types[0];
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const nw = nf.length;
  const ew = ef.length;
  const [typeAt, nameAt, sizeAt, edgesAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
    nf.indexOf(f),
  ) as [number, number, number, number];
  const [eTypeAt, eNameAt, eToAt] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const n = snap.nodes.length / nw;
  const firstEdge = new Int32Array(n + 1);
  for (let node = 0, e = 0; node < n; node++) {
    firstEdge[node] = e;
    e += (snap.nodes[node * nw + edgesAt] as number) * ew;
  }
  firstEdge[n] = snap.edges.length;
  const parent = new Int32Array(n).fill(-1);
  const parentEdge = new Int32Array(n).fill(-1);
  const seen = new Uint8Array(n);
  seen[0] = 1;
  const queue = [0];
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q] as number;
    for (let e = firstEdge[node] as number; e < (firstEdge[node + 1] as number); e += ew) {
      const etype = edgeTypes[snap.edges[e + eTypeAt] as number];
      const to = (snap.edges[e + eToAt] as number) / nw;
      if (etype === 'weak' || etype === 'shortcut' || seen[to]) continue;
      seen[to] = 1;
      parent[to] = node;
      parentEdge[to] = e;
      queue.push(to);
    }
  }
  const label = (node: number): string => {
    const type = nodeTypes[snap.nodes[node * nw + typeAt] as number] ?? '?';
    const name = snap.strings[snap.nodes[node * nw + nameAt] as number] ?? '';
    return `${type} ${JSON.stringify(name.slice(0, 50))}`;
  };
  const sizeOf = (node: number): number => snap.nodes[node * nw + sizeAt] as number;
  const order = [...Array(n).keys()].sort((a, b) => sizeOf(b) - sizeOf(a)).slice(0, count);
  for (const node of order) {
    const chain: string[] = [];
    for (let at = node; parent[at] !== -1; at = parent[at] as number) {
      const e = parentEdge[at] as number;
      const etype = edgeTypes[snap.edges[e + eTypeAt] as number];
      const ename = snap.edges[e + eNameAt] as number;
      const edgeName = etype === 'element' || etype === 'hidden' ? `[${ename}]` : (snap.strings[ename] ?? '');
      chain.push(`${edgeName} ← ${label(parent[at] as number)}`);
    }
    console.log(
      `${(sizeOf(node) / 1024).toFixed(0).padStart(7)} KB ${label(node)}\n          ${chain.join('\n          ')}`,
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
