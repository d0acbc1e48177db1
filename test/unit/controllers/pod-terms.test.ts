import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mappingSelectsPod } from '../../../src/domain/selection.js';
import { podTermsOfMapping, podTermsOfPod } from '../../../src/controllers/resources.js';

const labelSet = fc.dictionary(fc.constantFrom('app', 'tier', 'zone'), fc.constantFrom('a', 'b'), {
  maxKeys: 3,
});

describe('the pod-term index of mappings (issue 19)', () => {
  it('files a mapping under its namespace and its first matchLabels entry', () => {
    expect(
      podTermsOfMapping({
        metadata: { namespace: 'shop' },
        spec: { podSelector: { matchLabels: { zone: 'dmz', app: 'fe' } } },
      }),
    ).toEqual(['shop\u0000app=fe']);
    expect(podTermsOfMapping({ metadata: { namespace: 'shop' }, spec: { podSelector: {} } })).toEqual([
      'shop\u0000',
    ]);
    expect(
      podTermsOfMapping({
        metadata: { namespace: 'shop' },
        spec: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'fe' } } },
      }),
    ).toEqual(['*\u0000app=fe']);
  });

  it('a pod looks up every term a mapping selecting it can be filed under', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('shop', 'pay'),
        fc.boolean(),
        labelSet,
        fc.constantFrom('shop', 'pay'),
        labelSet,
        (mappingNs, crossNamespace, matchLabels, podNs, podLabels) => {
          const spec = {
            podSelector: { matchLabels },
            ...(crossNamespace ? { namespaceSelector: {} } : {}),
          };
          const pod = { metadata: { namespace: podNs, labels: podLabels } };
          if (!mappingSelectsPod(spec, mappingNs, pod, {})) return;
          const term = podTermsOfMapping({ metadata: { namespace: mappingNs }, spec })[0] as string;
          expect(podTermsOfPod(pod)).toContain(term);
        },
      ),
      { numRuns: 2000, seed: 23 },
    );
  });
});
