import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DisposalStack } from '../../core/lifecycle/disposal-stack.ts';
import { MigrationCancelledError } from '../../core/errors.ts';

test('disposes in reverse order of registration', async () => {
  const stack = new DisposalStack();
  const order: string[] = [];
  for (const name of ['pool', 'binlog', 'lock']) await stack.defer(name, () => { order.push(name); });
  assert.deepEqual(await stack.disposeAll(), []);
  assert.deepEqual(order, ['lock', 'binlog', 'pool']);
});

test('every disposer runs even when some fail, and all errors are returned', async () => {
  const stack = new DisposalStack();
  const order: string[] = [];
  await stack.defer('a', () => { order.push('a'); throw new Error('a failed'); });
  await stack.defer('b', async () => { order.push('b'); });
  await stack.defer('c', async () => { order.push('c'); throw new Error('c failed'); });
  const errors = await stack.disposeAll();
  assert.deepEqual(order, ['c', 'b', 'a']);
  assert.deepEqual(errors.map((e) => (e as Error).message), ['c failed', 'a failed']);
  assert.deepEqual(errors.map((e) => (e as { disposer: string }).disposer), ['c', 'a']);
});

test('disposeAll is idempotent and concurrent calls share one disposal', async () => {
  const stack = new DisposalStack();
  let calls = 0;
  await stack.defer('x', async () => { calls++; await new Promise((r) => setTimeout(r, 5)); });
  const [a, b] = await Promise.all([stack.disposeAll(), stack.disposeAll()]);
  await stack.disposeAll();
  assert.equal(calls, 1);
  assert.equal(a, b);
});

test('a resource registered after disposal started is closed at once and the caller is told', async () => {
  const stack = new DisposalStack();
  await stack.defer('early', () => new Promise((r) => setTimeout(r, 5)));
  const disposing = stack.disposeAll();
  let lateClosed = false;
  await assert.rejects(stack.defer('late', () => { lateClosed = true; }), MigrationCancelledError);
  assert.equal(lateClosed, true);
  await disposing;
});

test('use() registers AsyncDisposable and Disposable resources', async () => {
  const stack = new DisposalStack();
  const order: string[] = [];
  const sync = { [Symbol.dispose]: () => order.push('sync') };
  const asyncRes = { [Symbol.asyncDispose]: async () => { order.push('async'); } };
  assert.equal(await stack.use('sync', sync), sync);
  assert.equal(await stack.use('async', asyncRes), asyncRes);
  await stack.disposeAll();
  assert.deepEqual(order, ['async', 'sync']);
});
