import { describe, expect, it } from '@jest/globals';
import {
  fortiManagerOptionsFrom,
  parseAdmin,
  parseDevice,
} from '../../../src/cmd/fortimanager-simulator-options.js';
import { buildProgram } from '../../../src/cmd/program.js';

describe('fortisync simulator --fortimanager', () => {
  it('parses admins and devices', () => {
    expect(parseAdmin('alice:pw')).toEqual({ name: 'alice', password: 'pw', permit: 'read-write' });
    expect(parseAdmin('bob:pw:read')).toEqual({ name: 'bob', password: 'pw', permit: 'read' });
    expect(() => parseAdmin('bob')).toThrow(/user:password/);
    expect(() => parseAdmin('bob:secret:admin')).toThrow(/user:password/);
    expect(() => parseAdmin('bob:secret:admin')).not.toThrow(/secret/);
    expect(parseDevice('fgt-dmz:root,dmz')).toEqual({ name: 'fgt-dmz', vdoms: ['root', 'dmz'] });
    expect(parseDevice('fgt-edge')).toEqual({ name: 'fgt-edge', vdoms: ['root'] });
  });

  it('maps flags to simulator options; API keys belong to the API admin', () => {
    const options = fortiManagerOptionsFrom(
      {
        listen: '127.0.0.1:0',
        token: ['k1'],
        admin: ['alice:pw'],
        adom: ['root', 'dmz'],
        device: ['fgt-dmz:dmz'],
        workspaceMode: 'normal',
        installMs: 500,
      },
      { FORTISYNC_SIMULATOR_TOKEN: 'k2' },
    );
    expect(options).toMatchObject({
      port: 0,
      admins: [
        { name: 'alice', password: 'pw' },
        { name: 'fortisync', apiKey: 'k1' },
        { name: 'fortisync2', apiKey: 'k2' },
      ],
      adoms: ['root', 'dmz'],
      devices: [{ name: 'fgt-dmz', vdoms: ['dmz'] }],
      deviceToken: 'k1',
      workspaceMode: 'normal',
      installDurationMs: 500,
      idleTimeoutMs: 900_000,
    });
  });

  it('needs an admin and a known workspace mode', () => {
    expect(() => fortiManagerOptionsFrom({ listen: '0', token: [] }, {})).toThrow(/--token/);
    expect(() => fortiManagerOptionsFrom({ listen: '0', token: ['k'], workspaceMode: 'x' }, {})).toThrow(
      /workspace-mode/,
    );
  });

  it('is part of the simulator command', () => {
    const command = buildProgram().commands.find((c) => c.name() === 'simulator');
    expect(command?.helpInformation()).toContain('--fortimanager');
    expect(command?.helpInformation()).toContain('--workspace-mode');
  });
});
