import { describe, expect, it } from '@jest/globals';
import { installWindows } from '../../../bench/fortimanager.js';

describe('installWindows: installs per coalescing window', () => {
  it.each([
    ['no install', [], 0, null],
    ['one install', [1000], 1, null],
    ['one per window', [0, 10_000, 20_000], 1, 10_000],
    ['two inside one window', [0, 4_000, 20_000], 2, 4_000],
    ['unsorted input', [20_000, 0, 9_000], 2, 9_000],
  ])('%s', (_, starts, max, gap) => {
    expect(installWindows(starts, 10_000)).toEqual({ maxPerWindow: max, minGapMs: gap });
  });

  it('a start a few ms early (the lock call before it) is within the tolerance', () => {
    expect(installWindows([0, 9_995], 10_000).maxPerWindow).toBe(2);
    expect(installWindows([0, 9_995], 10_000, 100).maxPerWindow).toBe(1);
    expect(installWindows([0, 9_800], 10_000, 100).maxPerWindow).toBe(2);
  });
});
