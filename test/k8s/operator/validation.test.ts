import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Harness } from '../../support/operator-harness.js';

// A few invalid specs refused by the API server at apply time, with a readable message (the full
// table lives in test/k8s/install).
describe('invalid specs are rejected at apply time', () => {
  const h = new Harness({ name: 'invalid', startOperator: false });

  beforeAll(async () => h.start());
  afterAll(async () => h.stop());

  async function rejection(spec: Record<string, unknown>): Promise<string> {
    try {
      await h.applyMapping(`bad-${Math.random().toString(36).slice(2, 8)}`, spec as never);
    } catch (err) {
      const e = err as { code?: number; body?: unknown };
      expect(e.code).toBe(422);
      return typeof e.body === 'string' ? e.body : JSON.stringify(e.body);
    }
    throw new Error('accepted');
  }

  it('a group name with a quote', async () => {
    expect(await rejection({ addressGroup: 'K8S"DMZ' })).toContain('addressGroup');
  });

  it('a group name longer than 79 characters', async () => {
    expect(await rejection({ addressGroup: 'G'.repeat(80) })).toMatch(/addressGroup.*(79|longer)/s);
  });

  it('an unknown addressType and an empty devices list', async () => {
    expect(await rejection({ addressType: 'Service' })).toContain('addressType');
    expect(await rejection({ devices: [] })).toContain('devices');
  });

  it('a device with insecureSkipVerify and a CA at once', async () => {
    try {
      await h.createDevice(`${h.deviceName}-bad`, { tls: { caBundle: 'x', insecureSkipVerify: true } });
      throw new Error('accepted');
    } catch (err) {
      expect((err as { code?: number }).code).toBe(422);
      expect(JSON.stringify((err as { body?: unknown }).body)).toContain(
        'insecureSkipVerify cannot be combined with a CA',
      );
    }
  });
});
