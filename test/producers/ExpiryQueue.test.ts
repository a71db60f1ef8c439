import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from '../../producers/ExpiryQueue.js';

interface Item {
  name: string;
  deadline: number;
  settled: boolean;
}

describe('ExpiryQueue', () => {
  it('hands over only the unsettled items whose deadline passed, oldest first', async () => {
    // Prepare
    const due: string[][] = [];
    const queue = new ExpiryQueue<Item>(
      (item) => item.settled,
      (items) => {
        due.push(items.map((item) => item.name));
        for (const item of items) item.settled = true;
      },
    );
    const now = performance.now();
    const items = ['a', 'b', 'c', 'd'].map((name, i) => ({
      name,
      deadline: now + 20 + i * 40,
      settled: false,
    }));

    // Act: b settles before its deadline
    for (const item of items) queue.push(item);
    (items[1] as Item).settled = true;
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess
    expect(due.flat()).toEqual(['a', 'c', 'd']);
    expect(queue.oldest()).toBeUndefined();
  });

  it('drops settled items from the front as soon as it is asked', () => {
    const queue = new ExpiryQueue<Item>(
      (item) => item.settled,
      () => undefined,
    );
    const deadline = performance.now() + 60_000;
    const items = Array.from({ length: 3 }, (_, i) => ({
      name: `e${i}`,
      deadline,
      settled: false,
    }));
    for (const item of items) queue.push(item);
    (items[0] as Item).settled = true;
    (items[1] as Item).settled = true;
    expect(queue.oldest()?.name).toBe('e2');
    queue.stop();
  });
});
