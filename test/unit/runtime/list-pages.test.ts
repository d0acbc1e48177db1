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

  it('with a decoder, asks for the next page before decoding the one it has', async () => {
    const s = server(5);
    const order: string[] = [];
    const asking = (q: Query) => {
      order.push(`ask ${q._continue ?? 0}`);
      return s.fetchPage(q);
    };
    const list = await listAllPages(asking, { pageSize: 2 }, (raw: string) => {
      order.push(`decode ${raw}`);
      return raw.toUpperCase();
    });
    expect(list.items).toEqual(['P0', 'P1', 'P2', 'P3', 'P4']);
    expect(order).toEqual([
      'ask 0',
      'ask 2',
      'decode p0',
      'decode p1',
      'ask 4',
      'decode p2',
      'decode p3',
      'decode p4',
    ]);
  });

  it('a decoder that throws fails the list, and the page asked for meanwhile is not left unhandled', async () => {
    const s = server(4);
    let asked = 0;
    const failingLater = (q: Query) => {
      asked++;
      return q._continue ? Promise.reject(new Error('page two failed')) : s.fetchPage(q);
    };
    const bad = () => {
      throw new Error('cannot decode');
    };
    await expect(listAllPages(failingLater, { pageSize: 2 }, bad)).rejects.toThrow('cannot decode');
    expect(asked).toBe(2);
  });
});
