import { bucketQuantile, bucketsSince, propagationBuckets } from '../../../bench/lib/own-latency.js';

const page = (fw: [string, number][], other: [string, number][]): string =>
  [
    '# HELP fortisync_propagation_latency_seconds x',
    '# TYPE fortisync_propagation_latency_seconds histogram',
    ...fw.map(([le, n]) => `fortisync_propagation_latency_seconds_bucket{le="${le}",device="fw"} ${n}`),
    ...other.map(([le, n]) => `fortisync_propagation_latency_seconds_bucket{le="${le}",device="fw2"} ${n}`),
    'fortisync_propagation_latency_seconds_sum{device="fw"} 3.2',
    'fortisync_propagation_latency_seconds_count{device="fw"} 10',
    'fortisync_fortios_request_duration_seconds_bucket{le="0.05",device="fw"} 999',
  ].join('\n');

describe('the operator-share figures of the bench', () => {
  it("sums every device's buckets and ignores other histograms", () => {
    const b = propagationBuckets(
      page(
        [
          ['0.05', 2],
          ['0.1', 8],
          ['+Inf', 10],
        ],
        [
          ['0.05', 1],
          ['0.1', 1],
          ['+Inf', 1],
        ],
      ),
    );
    expect(b).toEqual([
      [0.05, 3],
      [0.1, 9],
      [Infinity, 11],
    ]);
  });

  it('interpolates inside the bucket the rank falls in, as histogram_quantile does', () => {
    const b: [number, number][] = [
      [0.05, 0],
      [0.1, 50],
      [0.2, 100],
      [Infinity, 100],
    ];
    expect(bucketQuantile(0.5, b)).toBeCloseTo(0.1);
    expect(bucketQuantile(0.25, b)).toBeCloseTo(0.075);
    expect(bucketQuantile(0.99, b)).toBeCloseTo(0.198);
    expect(bucketQuantile(0.5, [[Infinity, 0]])).toBeUndefined();
  });

  it('a rank in +Inf reports the highest finite bound', () => {
    expect(
      bucketQuantile(0.99, [
        [1, 90],
        [Infinity, 100],
      ]),
    ).toBe(1);
  });

  it('counts only what was observed between two scrapes', () => {
    expect(
      bucketsSince(
        [
          [0.1, 5],
          [Infinity, 7],
        ],
        [
          [0.1, 6],
          [Infinity, 10],
        ],
      ),
    ).toEqual([
      [0.1, 1],
      [Infinity, 3],
    ]);
  });
});
