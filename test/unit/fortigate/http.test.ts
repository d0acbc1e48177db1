import { describe, expect, it } from '@jest/globals';
import type { Response } from 'got';
import { takeBody } from '../../../src/fortigate/http.js';

describe('takeBody', () => {
  it('returns the text and leaves neither the text nor the bytes on the response', () => {
    const text = '{"results":[{"name":"k8s-prod-node-worker-1"}]}';
    const response = { body: text, rawBody: new TextEncoder().encode(text) } as unknown as Response<string>;
    expect(takeBody(response)).toBe(text);
    expect(response.body).toBe('');
    expect(response.rawBody.byteLength).toBe(0);
  });
});
