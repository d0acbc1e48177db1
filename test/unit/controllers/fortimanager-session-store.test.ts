import { describe, expect, it } from '@jest/globals';
import type { V1Secret } from '@kubernetes/client-node';
import { SecretSessionStore } from '../../../src/controllers/fortimanager/session-store.js';

const REF = { namespace: 'fortisync-system', name: 'fortisync-fmg-sessions' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The two calls the store may make, over one Secret with resourceVersion checks (as the API server). */
class FakeSecrets {
  secret: V1Secret | undefined = { metadata: { ...REF, resourceVersion: '1' }, data: {} };
  readonly calls: string[] = [];
  /** Writes by someone else between the store's read and its replace. */
  interferences = 0;

  readNamespacedSecret = async (ref: { namespace: string; name: string }): Promise<V1Secret> => {
    this.calls.push(`get ${ref.name}`);
    if (!this.secret) throw Object.assign(new Error('not found'), { code: 404 });
    return structuredClone(this.secret);
  };

  replaceNamespacedSecret = async (req: {
    namespace: string;
    name: string;
    body: V1Secret;
  }): Promise<V1Secret> => {
    this.calls.push(`update ${req.name}`);
    if (this.interferences > 0) {
      this.interferences--;
      this.bump({ other: b64('x') });
    }
    if (req.body.metadata?.resourceVersion !== this.secret?.metadata?.resourceVersion)
      throw Object.assign(new Error('conflict'), { code: 409 });
    this.secret = { ...req.body, metadata: { ...req.body.metadata } };
    this.bump({});
    return structuredClone(this.secret);
  };

  private bump(extra: Record<string, string>): void {
    const s = this.secret as V1Secret;
    s.data = { ...s.data, ...extra };
    s.metadata = { ...s.metadata, resourceVersion: String(Number(s.metadata?.resourceVersion) + 1) };
  }
}

describe('SecretSessionStore: session ids in one pre-created Secret, get and update only', () => {
  it('keeps one key per target, forgets it on logout, and leaves the other keys alone', async () => {
    const api = new FakeSecrets();
    const store = new SecretSessionStore(api, REF);
    await store.save('fmg-a', 'sess-a');
    await store.save('fmg-b', 'sess-b');
    expect(await store.load('fmg-a')).toBe('sess-a');
    await store.save('fmg-a', undefined);
    expect(await store.load('fmg-a')).toBeUndefined();
    expect(api.secret?.data).toEqual({ 'fmg-b': b64('sess-b') });
    expect(new Set(api.calls.map((c) => c.split(' ')[0]))).toEqual(new Set(['get', 'update']));
  });

  it('writes nothing when the value is already there (a repeated save, a logout of nothing)', async () => {
    const api = new FakeSecrets();
    const store = new SecretSessionStore(api, REF);
    await store.save('fmg-a', 'sess-a');
    const before = api.calls.length;
    await store.save('fmg-a', 'sess-a');
    await store.save('fmg-z', undefined);
    expect(api.calls.slice(before)).toEqual(['get fortisync-fmg-sessions', 'get fortisync-fmg-sessions']);
  });

  it('a conflicting write is retried on a fresh read, keeping the other writer’s key', async () => {
    const api = new FakeSecrets();
    api.interferences = 2;
    await new SecretSessionStore(api, REF).save('fmg-a', 'sess-a');
    expect(api.secret?.data).toEqual({ other: b64('x'), 'fmg-a': b64('sess-a') });
    expect(api.calls.filter((c) => c.startsWith('update'))).toHaveLength(3);
  });

  it('saves of two targets at once do not lose either', async () => {
    const api = new FakeSecrets();
    const store = new SecretSessionStore(api, REF);
    await Promise.all([store.save('fmg-a', 'sess-a'), store.save('fmg-b', 'sess-b')]);
    expect(api.secret?.data).toEqual({ 'fmg-a': b64('sess-a'), 'fmg-b': b64('sess-b') });
  });

  it('a missing Secret or permission is an error naming the Secret and what to do', async () => {
    const api = new FakeSecrets();
    api.secret = undefined;
    await expect(new SecretSessionStore(api, REF).load('fmg-a')).rejects.toThrow(
      'Secret fortisync-system/fortisync-fmg-sessions (FortiManager session ids) does not exist: the install creates it',
    );
    const forbidden = {
      readNamespacedSecret: async () => Promise.reject(Object.assign(new Error('forbidden'), { code: 403 })),
      replaceNamespacedSecret: async () => Promise.reject(new Error('unused')),
    };
    await expect(new SecretSessionStore(forbidden, REF).save('fmg-a', 's')).rejects.toThrow(
      'may not get Secret fortisync-system/fortisync-fmg-sessions',
    );
  });
});
