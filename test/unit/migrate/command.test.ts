import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../../src/cmd/program.js';
import {
  EXIT_ERRORS,
  EXIT_REFUSED,
  runMigrate,
  type MigrateOptions,
} from '../../../src/cmd/migrate-command.js';

const ESTATE = join(process.cwd(), 'test/fixtures/calico-enterprise/estate');

describe('fortisync migrate calico-enterprise --from-files', () => {
  let dir: string;
  let lines: string[];
  const print = (line: string) => lines.push(line);
  const options = (extra: Partial<MigrateOptions> = {}): MigrateOptions => ({
    clusterName: 'prod',
    namespace: 'fortisync-system',
    secretNamespace: 'fortisync-system',
    tigeraNamespace: 'tigera-firewall-controller',
    fromFiles: ESTATE,
    output: join(dir, 'out'),
    dryRun: false,
    ...extra,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fortisync-migrate-'));
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is a subcommand of fortisync, and --cluster-name is checked like spec.clusterName', async () => {
    const program = buildProgram().exitOverride();
    const migrate = program.commands.find((c) => c.name() === 'migrate');
    expect(migrate?.commands.map((c) => c.name())).toEqual(['calico-enterprise']);
    migrate?.commands[0]?.exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(
      program.parseAsync(['migrate', 'calico-enterprise', '--cluster-name', 'Prod_1', '--dry-run'], {
        from: 'user',
      }),
    ).rejects.toThrow(/at most 24 lowercase letters/);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    expect(await runMigrate(options({ dryRun: true }), print)).toBe(EXIT_REFUSED);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(lines).toContain('  create fortigateendpointmappings/fortigate.payments.yaml');
    expect(lines.join('\n')).toContain('would change 8 file(s)');
    expect(lines).toContain(
      "policy fortigate.frontend-or-admin: refused || (app == 'frontend' || app == 'admin')",
    );
  });

  it('writes one file per object; a second run changes nothing; a vanished policy’s file is removed', async () => {
    expect(await runMigrate(options(), print)).toBe(EXIT_REFUSED);
    const out = join(dir, 'out');
    expect(readdirSync(out).sort()).toEqual([
      'MIGRATION-REPORT.md',
      'fortigatedevices',
      'fortigateendpointmappings',
      'fortimanagertargets',
      'kustomization.yaml',
    ]);
    const before = readFileSync(join(out, 'fortigateendpointmappings/fortigate.shop.yaml'), 'utf8');
    writeFileSync(join(out, 'NOTES.md'), 'mine');

    lines = [];
    await runMigrate(options(), print);
    expect(lines).toContain(`${out}: nothing to change`);
    expect(readFileSync(join(out, 'fortigateendpointmappings/fortigate.shop.yaml'), 'utf8')).toBe(before);

    const estate = join(dir, 'estate');
    cpSync(ESTATE, estate, { recursive: true });
    const policies = join(estate, 'policies.yaml');
    writeFileSync(
      policies,
      readFileSync(policies, 'utf8').replace('name: fortigate.shop', 'name: fortigate.shop2'),
    );
    lines = [];
    await runMigrate(options({ fromFiles: estate }), print);
    expect(lines).toContain('  remove fortigateendpointmappings/fortigate.shop.yaml');
    expect(existsSync(join(out, 'fortigateendpointmappings/fortigate.shop.yaml'))).toBe(false);
    expect(existsSync(join(out, 'fortigateendpointmappings/fortigate.shop2.yaml'))).toBe(true);
    expect(readFileSync(join(out, 'NOTES.md'), 'utf8')).toBe('mine');
  });

  it('exit 0 when every selected policy maps', async () => {
    const estate = join(dir, 'estate');
    cpSync(ESTATE, estate, { recursive: true });
    writeFileSync(
      join(estate, 'policies.yaml'),
      [
        'apiVersion: projectcalico.org/v3',
        'kind: GlobalNetworkPolicy',
        'metadata: { name: fortigate.ok }',
        'spec: { tier: fortigate, selector: "app == \'ok\'" }',
        '',
      ].join('\n'),
    );
    expect(await runMigrate(options({ fromFiles: estate }), print)).toBe(0);
  });

  it('configuration errors: exit 1 and nothing written', async () => {
    const estate = join(dir, 'estate');
    cpSync(ESTATE, estate, { recursive: true });
    const cms = join(estate, 'configmaps.yaml');
    writeFileSync(
      cms,
      readFileSync(cms, 'utf8').replace(
        'tigera.firewall.addressSelection: node',
        'tigera.firewall.addressSelection: nodes',
      ),
    );
    expect(await runMigrate(options({ fromFiles: estate }), print)).toBe(EXIT_ERRORS);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(lines.join('\n')).toContain('neither node nor pod');
  });
});
