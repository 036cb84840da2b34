import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('a real migration runs under Deno 2 from mod.ts (no build step)', () => {
  const r = spawnSync(`${root}node_modules/.bin/deno`, ['run', '-A', 'scripts/deno-smoke.ts'], {
    cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /deno smoke: OK \(5000 rows copied/);
});
