import { describe, expect, it } from '@jest/globals';
import { buildProgram } from '../../src/cmd/program.js';

describe('fortisync command', () => {
  it('describes itself in --help', () => {
    const help = buildProgram().helpInformation();
    expect(help).toContain('Usage: fortisync');
    expect(help).toContain('FortiGate address objects');
  });
});
