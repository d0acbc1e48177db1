import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { CRD_FILES } from '../../../src/api/v1alpha1/crds.js';
import { celRules, CEL_TWINS } from '../../../src/api/v1alpha1/cel-twins.js';
import { renderCrd } from '../../../src/cmd/render-crd.js';
import type { JsonSchema } from '../../../src/api/v1alpha1/schema-types.js';

describe('CRDs', () => {
  it.each(Object.keys(CRD_FILES))('crds/%s is up to date with src/api (run `fortisync gen-crds`)', (file) => {
    expect(readFileSync(new URL(`../../../crds/${file}`, import.meta.url), 'utf8')).toBe(renderCrd(file));
  });

  it('gives every CEL rule a TypeScript twin', () => {
    for (const crd of Object.values(CRD_FILES)) {
      for (const rule of celRules(crd.spec.versions[0]!.schema.openAPIV3Schema)) {
        expect(Object.keys(CEL_TWINS)).toContain(rule);
      }
    }
  });

  it('describes every field, so kubectl explain is useful', () => {
    const undocumented: string[] = [];
    const walk = (s: JsonSchema, path: string): void => {
      if (!s.description && path.split('.').length > 2 && !path.endsWith('.metadata'))
        undocumented.push(path);
      for (const [k, sub] of Object.entries(s.properties ?? {})) walk(sub, `${path}.${k}`);
      if (s.items && s.items.properties)
        for (const [k, sub] of Object.entries(s.items.properties)) walk(sub, `${path}[].${k}`);
    };
    for (const crd of Object.values(CRD_FILES))
      walk(crd.spec.versions[0]!.schema.openAPIV3Schema, crd.spec.names.kind);
    expect(undocumented).toEqual([]);
  });
});
