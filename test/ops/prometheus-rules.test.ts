import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ruleGroups } from '../support/prometheus.js';
import { missing } from '../support/promtool.js';
import { repoRoot } from '../support/testenv-binaries.js';

// config/prometheus/rules.yaml (a PrometheusRule) through `promtool test rules`: each alert fires on
// synthetic series and resolves when they recover (test/ops/prometheus/rules.test.yaml).

const root = repoRoot();
const TESTS = join(root, 'test/ops/prometheus/rules.test.yaml');

interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const skip = missing('promtool');

describe('alert rules', () => {
  it('every alert has a case where it fires and one where it is resolved', () => {
    const alerts = ruleGroups().flatMap((g) => g.rules.map((r) => r.alert).filter(Boolean));
    const cases = (parse(readFileSync(TESTS, 'utf8')) as RuleTests).tests.flatMap(
      (t) => t.alert_rule_test ?? [],
    );
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect({ alert, fires: mine.some((c) => c.exp_alerts.length > 0) }).toEqual({ alert, fires: true });
      expect({ alert, resolves: mine.some((c) => c.exp_alerts.length === 0) }).toEqual({
        alert,
        resolves: true,
      });
    }
    expect(alerts.length).toBeGreaterThanOrEqual(10);
  });

  (skip ? it.skip : it)('promtool checks the rules and passes every test case', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortisync-rules-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups() }));
      copyFileSync(TESTS, join(dir, 'rules.test.yaml'));
      const check = execFileSync('promtool', ['check', 'rules', 'rules.yaml'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(check).toContain('SUCCESS');
      const run = execFileSync('promtool', ['test', 'rules', 'rules.test.yaml'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(run).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
