import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from './free-port.js';
import { eventually } from './kube.js';
import { ProcessSupervisor } from './supervisor.js';
import { repoRoot } from './testenv-binaries.js';

export interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; for?: string }[];
}

/** The rule groups of config/prometheus/rules.yaml (a PrometheusRule). */
export function ruleGroups(): RuleGroup[] {
  const rule = parse(readFileSync(join(repoRoot(), 'config/prometheus/rules.yaml'), 'utf8')) as {
    spec: { groups: RuleGroup[] };
  };
  return rule.spec.groups;
}

export interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<QueryResult>;
  /** Waits until every target has been scraped successfully at least once. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs Debian's prometheus on 127.0.0.1 (a free port), scraping the given host:port targets every
 * second with the project's alert rules loaded; its data lives in a temporary directory.
 */
export async function startPrometheus(targets: string[]): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'fortisync-prom-'));
  const supervisor = new ProcessSupervisor(dir, 600);
  writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups() }));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'rules.yaml')],
      scrape_configs: [{ job_name: 'fortisync', static_configs: [{ targets }] }],
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  supervisor.start('prometheus', 'prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ]);
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${url}${path}`)).json()) as T;
  await eventually(
    async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
    {
      timeoutMs: 30_000,
      what: `prometheus ready (log: ${join(dir, 'prometheus.log')})`,
    },
  );
  return {
    url,
    query: (expr) => get<QueryResult>(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    waitForTargetsUp: async (timeoutMs = 30_000) => {
      await eventually(
        async () => {
          const t = await get<{ data: { activeTargets: { health: string }[] } }>('/api/v1/targets');
          const all = t.data.activeTargets;
          return all.length === targets.length && all.every((x) => x.health === 'up') ? true : undefined;
        },
        { timeoutMs, what: 'every scrape target up' },
      );
    },
    stop: async () => {
      await supervisor.stopAll(5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
