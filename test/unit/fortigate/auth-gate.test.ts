import { describe, expect, it } from '@jest/globals';
import { AuthGate, AuthHeldError, hostKey, type AuthOutcome } from '../../../src/fortigate/auth-gate.js';

const FW = 'https://fw.example';
const BACKOFF = 120_000;

function gate(): { gate: AuthGate; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  return { gate: new AuthGate({ retryAfterMs: BACKOFF, now: () => clock.now }), clock };
}

/** Starts `n` requests at once; each is answered `outcome` once admitted. Returns how many went out. */
async function burst(g: AuthGate, token: string, n: number, outcome: AuthOutcome): Promise<number> {
  let sent = 0;
  await Promise.allSettled(
    Array.from({ length: n }, async () => {
      const ticket = await g.admit(FW, token);
      sent++;
      await Promise.resolve();
      ticket.done(outcome);
    }),
  );
  return sent;
}

describe('AuthGate', () => {
  it('an unproven token sends one request; the rest wait for its answer, then go', async () => {
    const { gate: g } = gate();
    const order: string[] = [];
    const first = await g.admit(FW, 't');
    const others = Promise.all(
      [1, 2, 3].map(async (i) => {
        const t = await g.admit(FW, 't');
        order.push(`sent ${i}`);
        t.done('ok');
      }),
    );
    await Promise.resolve();
    expect(order).toEqual([]);
    first.done('ok');
    await others;
    expect(order).toHaveLength(3);
  });

  it('a refused token: one failure for a burst of 64, then nothing until the backoff ends', async () => {
    const { gate: g, clock } = gate();
    expect(await burst(g, 'bad', 64, 'unauthorized')).toBe(1);
    await expect(g.admit(FW, 'bad')).rejects.toBeInstanceOf(AuthHeldError);
    expect(g.blockedUntilMs(FW, 'bad')).toBe(clock.now + BACKOFF);
    clock.now += BACKOFF;
    expect(await burst(g, 'bad', 64, 'unauthorized')).toBe(1);
  });

  it('a proven token that is revoked: the failures stop at the requests already out', async () => {
    const { gate: g } = gate();
    expect(await burst(g, 't', 1, 'ok')).toBe(1);
    const out = await Promise.all([g.admit(FW, 't'), g.admit(FW, 't')]);
    for (const t of out) t.done('unauthorized');
    await expect(g.admit(FW, 't')).rejects.toMatchObject({ kind: 'unauthorized' });
  });

  it('a proof goes stale: after an idle spell a burst is preceded by one request again', async () => {
    const { gate: g, clock } = gate();
    expect(await burst(g, 't', 1, 'ok')).toBe(1);
    clock.now += 11_000;
    expect(await burst(g, 't', 64, 'unauthorized')).toBe(1);
  });

  it('new tokens (and other devices) on one host never make a third failure within the window', async () => {
    const { gate: g, clock } = gate();
    expect(await burst(g, 'a', 8, 'unauthorized')).toBe(1);
    expect(await burst(g, 'b', 8, 'unauthorized')).toBe(1);
    // A third token would be a third failure within 60 s: held until the first failure leaves it.
    const held = g.admit(FW, 'c');
    await expect(held).rejects.toMatchObject({ kind: 'unauthorized' });
    const until = g.blockedUntilMs(FW, 'c');
    expect(until).toBeGreaterThanOrEqual(clock.now + 60_000);
    // The port is part of the host; another host has its own budget.
    expect(g.blockedUntilMs('https://fw.example:8443', 'c')).toBe(0);
    clock.now = until;
    expect(await burst(g, 'c', 1, 'ok')).toBe(1);
    expect(await burst(g, 'c', 64, 'ok')).toBe(64);
  });

  it('a 429 holds the whole host, every token', async () => {
    const { gate: g, clock } = gate();
    expect(await burst(g, 'good', 1, 'ok')).toBe(1);
    expect(await burst(g, 'other', 1, 'locked-out')).toBe(1);
    await expect(g.admit(FW, 'good')).rejects.toMatchObject({ kind: 'locked-out' });
    clock.now += BACKOFF;
    expect(await burst(g, 'good', 1, 'ok')).toBe(1);
  });

  it('a probe without an answer (transport failure) hands the probe to the next request', async () => {
    const { gate: g } = gate();
    expect(await burst(g, 't', 1, 'other')).toBe(1);
    expect(g.blockedUntilMs(FW, 't')).toBe(0);
    expect(await burst(g, 't', 2, 'ok')).toBe(2);
  });

  it('a waiting request gives up when its signal aborts', async () => {
    const { gate: g } = gate();
    const probe = await g.admit(FW, 't');
    const ac = new AbortController();
    const waiting = g.admit(FW, 't', ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    probe.done('ok');
  });

  it.each([
    ['https://FW.example', 'fw.example:443'],
    ['https://fw.example:443/', 'fw.example:443'],
    ['http://fw.example', 'fw.example:80'],
    ['https://10.0.0.1:8443', '10.0.0.1:8443'],
    ['https://[2001:db8::1]:8443', '[2001:db8::1]:8443'],
  ])('host key of %s is %s', (url, key) => {
    expect(hostKey(url)).toBe(key);
  });
});
