import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { age, columns, paint, table, withProgress, type Io } from '../../../src/cmd/plugin/output.js';

class Sink extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const io = (tty: boolean): Io & { out: Sink; err: Sink } => ({ out: new Sink(tty), err: new Sink(tty) });

describe('plugin output', () => {
  it('aligns columns like kubectl: upper-case headers, three spaces, last column unpadded', () => {
    expect(
      table(
        ['name', 'ready', 'message'],
        [
          ['fw1', 'True', 'ok'],
          ['firewall-2', 'False', 'token refused (401)'],
        ],
      ),
    ).toBe(
      'NAME         READY   MESSAGE\n' +
        'fw1          True    ok\n' +
        'firewall-2   False   token refused (401)\n',
    );
  });

  it('ignores colour codes and counts characters, not bytes, when aligning', () => {
    const red = '\x1b[31mFalse\x1b[39m';
    expect(
      columns([
        ['a', red, 'x'],
        ['✓✓✓', 'True', 'y'],
      ]),
    ).toBe(`a     ${red}   x\n✓✓✓   True    y\n`);
  });

  it('colours only on a terminal', () => {
    const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
    delete process.env.NO_COLOR;
    delete process.env.FORCE_COLOR;
    try {
      expect(paint(io(false), 'red', 'False')).toBe('False');
      expect(paint(io(true), 'red', 'False')).not.toBe('False');
    } finally {
      Object.assign(
        process.env,
        Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)),
      );
    }
  });

  it('shows progress on a terminal only, and clears its line', async () => {
    const plain = io(false);
    expect(await withProgress(plain, 'reading…', async () => 42)).toBe(42);
    expect(plain.err.text).toBe('');
    const tty = io(true);
    await withProgress(tty, 'reading…', async () => 42);
    expect(tty.err.text).toMatch(/^\r\S reading…\r {10}\r$/);
    expect(tty.out.text).toBe('');
  });

  it.each([
    [undefined, '-'],
    ['2026-01-01T00:00:55Z', '5s ago'],
    ['2026-01-01T00:00:00Z', '1m0s ago'],
    ['2025-12-31T22:59:00Z', '1h2m ago'],
    ['2025-12-20T00:00:00Z', '12d ago'],
  ])('age of %s', (iso, text) => {
    expect(age(iso, Date.parse('2026-01-01T00:01:00Z'))).toBe(text);
  });
});
