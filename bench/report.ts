/** Prints bench/results/*.json as Markdown tables (for bench/README.md): `node dist/bench/report.js [dir]`. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from './scenarios.js';

const dir = process.argv[2] ?? fileURLToPath(new URL('../../bench/results', import.meta.url));
type Stored = ScenarioResult & { machine: { loadAverageAtStart: number[]; commit: string }; date: string };

const order = ['churn', 'burst', 'cold-start', 'restart', 'steady'];
const results = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, r: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Stored }))
  .sort(
    (a, b) =>
      order.indexOf(a.r.scenario) - order.indexOf(b.r.scenario) ||
      a.r.latencyMs - b.r.latencyMs ||
      a.file.localeCompare(b.file),
  );

const cell = (v: number | null, unit: string): string => (v === null ? '–' : `${v} ${unit}`);
for (const { file, r } of results) {
  const params = Object.entries(r.params)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(`### ${r.scenario}, ${r.latencyMs} ms per call (\`${file}\`)\n`);
  console.log(
    `${params}; load average at start ${r.machine.loadAverageAtStart.join(' ')}; commit ${r.machine.commit.slice(0, 7)}; ${r.date}\n`,
  );
  console.log('| figure | observed | floor | observed/floor | target | met |');
  console.log('|---|---|---|---|---|---|');
  for (const f of r.figures) {
    console.log(
      `| ${f.figure} | ${cell(f.observed, f.unit)} | ${cell(f.floor, f.unit)} | ${f.ratio === null ? '–' : `${f.ratio}×`} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : '**no**'} |`,
    );
  }
  console.log('');
}
