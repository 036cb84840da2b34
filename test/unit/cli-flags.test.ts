/** The throttling flags of `migrate` and where they land (the plugin validates the values). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../../cli/flags.ts';
import { throttlerPlugin, ThrottlerOptionError } from '../../plugins/throttler/index.ts';

test('--throttle-fail-after, --throttle-query and --replica map onto the throttler options', () => {
  const f = parseFlags(['--throttle-fail-after', '90s', '--throttle-query', 'SELECT 1', '--replica', 'mysql://u:p@h:1', '--replica', 'mysql://u:p@h:2']);
  assert.deepEqual(f.overrides.throttle, { failAfter: '90s', throttleQuery: 'SELECT 1', replicas: ['mysql://u:p@h:1', 'mysql://u:p@h:2'] });
  assert.throws(() => throttlerPlugin({ failAfter: 'soon' }), (e) => e instanceof ThrottlerOptionError && /failAfter/.test(e.message));
  assert.equal(throttlerPlugin({ failAfter: '5m' }).name, 'throttler');
});
