import { describe, expect, it } from '@jest/globals';
import { listAllPages } from '../../../src/runtime/informer-factory.js';

interface Query {
  limit: number;
  _continue?: string;
  labelSelector?: string;
}

/** A collection served `limit` items a page, with continue tokens, as the API server does. */
function server(total: number, rv = '42') {
  const queries: Query[] = [];
  const all = Array.from({ length: total }, (_, i) => `p${i}`);
  const fetchPage = (q: Query) => {
    queries.push(q);
    const from = q._continue ? Number(q._continue) : 0;
    const items = all.slice(from, from + q.limit);
    const next = from + q.limit < total ? String(from + q.limit) : undefined;
    return Promise.resolve({ items, metadata: { resourceVersion: rv, ...(next ? { continue: next } : {}) } });
  };
  return { fetchPage, queries, all };
}

describe('listAllPages', () => {
  it('follows continue tokens page by page and ends with the whole collection', async () => {
    const s = server(1234);
    const list = await listAllPages(s.fetchPage, { pageSize: 500, labelSelector: 'app=x' });
    expect(list.items).toEqual(s.all);
    expect(list.metadata).toEqual({ resourceVersion: '42' });
    expect(s.queries).toEqual([
      { limit: 500, labelSelector: 'app=x' },
      { limit: 500, _continue: '500', labelSelector: 'app=x' },
      { limit: 500, _continue: '1000', labelSelector: 'app=x' },
    ]);
  });

  it('asks for 500 a page unless told otherwise, and stops at an empty token', async () => {
    const s = server(3);
    const list = await listAllPages(s.fetchPage, {});
    expect(list.items).toEqual(['p0', 'p1', 'p2']);
    expect(s.queries).toEqual([{ limit: 500 }]);
  });

  it('passes a page failure to the caller (the informer retries the whole list)', async () => {
    let calls = 0;
    const failing = (q: Query) => {
      calls++;
      if (q._continue) return Promise.reject(new Error('410 Gone: continue token expired'));
      return Promise.resolve({ items: ['a'], metadata: { resourceVersion: '1', continue: 'next' } });
    };
    await expect(listAllPages(failing, { pageSize: 1 })).rejects.toThrow(/expired/);
    expect(calls).toBe(2);
  });
});
