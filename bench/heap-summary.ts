/**
 * Where a heap snapshot's bytes are: `node dist/bench/heap-summary.js FILE [--top N]`. Sums the self
 * size of every node by type and constructor (or, for strings, by a short prefix of the text, so
 * repeated label values, node names and address names show up as groups).
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] }; node_count: number };
  nodes: number[];
  strings: string[];
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
}

main();
