import { describe, expect, it } from '@jest/globals';
import { parseListen, simulatorOptionsFrom } from '../../../src/cmd/simulator-command.js';
import type { SimulatorCommandOptions } from '../../../src/cmd/simulator-command.js';
import { buildProgram } from '../../../src/cmd/program.js';

const base: SimulatorCommandOptions = {
  listen: '127.0.0.1:0',
  token: ['t1'],
  readOnlyToken: [],
  fortiosVersion: '7.2.8',
  vdom: [],
  latencyMs: 0,
  latencyJitterMs: 0,
  trustedHost: [],
};

describe('fortisync simulator command', () => {
  it('parses --listen forms', () => {
    expect(parseListen('127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen('9443')).toEqual({ host: '127.0.0.1', port: 9443 });
    expect(() => parseListen('nope')).toThrow();
  });

  it('maps flags to simulator options', () => {
    const options = simulatorOptionsFrom(
      {
        ...base,
        vdom: ['root', 'dmz'],
        readOnlyToken: ['ro'],
        maxAddresses: 5,
        maxMembers: 2,
        http: true,
        caseInsensitiveNames: true,
      },
      { FORTISYNC_SIMULATOR_TOKEN: 'from-env' },
    );
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      http: true,
      vdoms: ['root', 'dmz'],
      tokens: ['t1', 'from-env', { token: 'ro', readOnly: true }],
      limits: { addresses: 5, membersPerGroup: 2 },
      caseSensitiveNames: false,
    });
  });

  it('needs a token, and a TLS key with a TLS certificate', () => {
    expect(() => simulatorOptionsFrom({ ...base, token: [] }, {})).toThrow(/token/);
    expect(() => simulatorOptionsFrom({ ...base, tlsCert: 'c.pem' }, {})).toThrow(/together/);
  });

  it('is registered on the fortisync program', () => {
    const command = buildProgram().commands.find((c) => c.name() === 'simulator');
    expect(command?.helpInformation()).toContain('--fortios-version');
  });
});
