/** core/triggers: the statements that re-create a trigger, and the names a moved trigger must not use. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TriggersError } from '../../mod.ts';
import { checkTriggerNames } from '../../core/triggers/check.ts';
import { createTriggerSql, definerClause, type TriggerDef } from '../../core/triggers/read.ts';

const def = (body: string, over: Partial<TriggerDef> = {}): TriggerDef => ({
  name: 'trg', timing: 'AFTER', event: 'INSERT', order: 1, body, definer: 'app@%', sqlMode: 'STRICT_ALL_TABLES', collationConnection: 'utf8mb4_general_ci', ...over,
});

test('definerClause quotes user and host (a role has no host), escaping quotes', () => {
  assert.equal(definerClause('app@%'), "'app'@'%'");
  assert.equal(definerClause("o'neil@10.0.0.1"), "'o\\'neil'@'10.0.0.1'");
  assert.equal(definerClause('a@b@localhost'), "'a@b'@'localhost'", 'the host follows the last @');
  assert.equal(definerClause('admin_role'), "'admin_role'");
});

test('createTriggerSql: same definer, timing, event and body, on the given table, under its own or another name', () => {
  const name = 'n'.repeat(64);
  assert.equal(createTriggerSql(def('SET NEW.v = 1', { name, timing: 'BEFORE', event: 'UPDATE' }), 'db', 't~new'),
    `CREATE DEFINER='app'@'%' TRIGGER \`db\`.\`${name}\` BEFORE UPDATE ON \`db\`.\`t~new\` FOR EACH ROW SET NEW.v = 1`);
  assert.match(createTriggerSql(def('BEGIN END'), 'db', 'p', '_sluice_trg_0123456789ab'), /TRIGGER `db`\.`_sluice_trg_0123456789ab` AFTER INSERT ON `db`\.`p`/);
});

test('checkTriggerNames refuses a body naming a table the migration creates or renames, and nothing else', () => {
  for (const body of ['INSERT INTO _t_old VALUES (1)', 'INSERT INTO `_T_NEW` SELECT 1', 'DELETE FROM db.`t~old`', 'SET @x = (SELECT 1 FROM `t~new`)',
    'INSERT INTO _t_old_20261201000000 VALUES (NEW.id)']) {
    assert.throws(() => checkTriggerNames('db', 't', [def(body)]),
      (e: unknown) => e instanceof TriggersError && e.trigger === 'trg' && /references `.+`, a name the migration creates or renames/.test(e.message) && !e.message.includes('\n'), body);
  }
  for (const body of ['INSERT INTO audit SELECT COUNT(*) FROM t', "INSERT INTO log VALUES ('_t_old')", 'INSERT INTO _t_older VALUES (1)', 'SET NEW.t = 1 -- _t_new']) {
    assert.doesNotThrow(() => checkTriggerNames('db', 't', [def(body)]), body);
  }
});
