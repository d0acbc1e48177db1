import { describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { registerOperatorCommand } from '../../../src/cmd/operator-command.js';
import { fortiManagerSessionSecretOf, parseOperatorConfig } from '../../../src/operator/config.js';

const BASE = {
  leaderElect: true,
  leaderElectionId: 'fortisync-leader',
  healthAddr: ':8081',
  metricsAddr: ':8080',
  logLevel: 'info',
  logFormat: 'json',
};

/** The options commander hands the operator command for these flags (its own camel-casing). */
function flagsOf(args: string[]): Record<string, unknown> {
  const program = new Command();
  registerOperatorCommand(program);
  const cmd = program.commands.find((c) => c.name() === 'operator') as Command;
  cmd.exitOverride();
  cmd.action(() => undefined);
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

describe('--fortimanager-session-secret', () => {
  it('reaches the configuration under the name commander gives it, and parses', () => {
    const opts = flagsOf([
      '--fortimanager-session-secret=fortisync-fmg-sessions',
      '--leader-election-namespace=ops',
    ]);
    const cfg = parseOperatorConfig({ ...BASE, ...opts, leaderElect: true });
    expect(fortiManagerSessionSecretOf(cfg)).toEqual({ namespace: 'ops', name: 'fortisync-fmg-sessions' });
  });

  it.each([
    [
      'NAME in the operator namespace',
      { fortimanagerSessionSecret: 's', leaderElectionNamespace: 'ops' },
      { namespace: 'ops', name: 's' },
    ],
    [
      'NAMESPACE/NAME',
      { fortimanagerSessionSecret: 'other/s', leaderElectionNamespace: 'ops' },
      { namespace: 'other', name: 's' },
    ],
    ['unset', { leaderElectionNamespace: 'ops' }, undefined],
  ])('%s', (_name, cfg, expected) => {
    expect(fortiManagerSessionSecretOf(cfg)).toEqual(expected);
  });

  it('a NAME without a namespace to put it in, or a bad name, is refused with the flag named', () => {
    expect(() => fortiManagerSessionSecretOf({ fortimanagerSessionSecret: 's' })).toThrow(
      '--fortimanager-session-secret s: no namespace',
    );
    expect(() => parseOperatorConfig({ ...BASE, fortimanagerSessionSecret: 'Bad_Name' })).toThrow(
      '--fortimanager-session-secret',
    );
  });
});

describe('--overlap-window-seconds', () => {
  it('defaults to 5 s, takes 0 (one batch per sync), and refuses what is out of range with the flag named', () => {
    expect(parseOperatorConfig({ ...BASE, ...flagsOf([]) }).overlapWindowSeconds).toBe(5);
    expect(
      parseOperatorConfig({ ...BASE, ...flagsOf(['--overlap-window-seconds=0']) }).overlapWindowSeconds,
    ).toBe(0);
    for (const bad of ['-1', '61', '1.5'])
      expect(() => parseOperatorConfig({ ...BASE, ...flagsOf([`--overlap-window-seconds=${bad}`]) })).toThrow(
        '--overlap-window-seconds',
      );
  });
});
