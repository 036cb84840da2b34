import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPlugins, definePlugin, ChecksumOptionError } from '../../mod.ts';

const connection = { user: 'u' };
const statement = 'ALTER TABLE t ADD INDEX (a)';

test('the default plugins, in the order they run', () => {
  assert.deepEqual(defaultPlugins({ connection, statement }).map((p) => p.name), ['mdl', 'checkpoint', 'throttler', 'checksum']);
});

test('a default plugin can be left out by name, or replaced by a plugin of the same name', () => {
  assert.deepEqual(defaultPlugins({ connection, statement, disablePlugins: ['throttler', 'checksum'] }).map((p) => p.name), ['mdl', 'checkpoint']);
  const mine = definePlugin({ name: 'checkpoint' });
  assert.deepEqual(defaultPlugins({ connection, statement, plugins: [mine] }).map((p) => p.name), ['mdl', 'throttler', 'checksum']);
});

test('plugin options are validated when the migration is created', () => {
  assert.throws(() => defaultPlugins({ connection, statement, checksum: { maxPasses: 0 } }), ChecksumOptionError);
  assert.throws(() => defaultPlugins({ connection, statement, checkpoint: { interval: 'soon' } }), /--checkpoint-interval/);
  assert.throws(() => defaultPlugins({ connection, statement, throttle: { maxReplicaLag: 'lots' } }), /maxReplicaLag/);
});
