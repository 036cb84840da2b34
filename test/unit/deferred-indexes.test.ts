/** Which indexes are deferred (plain `KEY` lines of SHOW CREATE TABLE), and the flags that choose it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../../cli/flags.ts';
import { InvalidOptionError } from '../../core/errors.ts';
import { ENGINE_DEFAULTS } from '../../core/options.ts';
import { plainIndexes } from '../../core/shadow/deferred-indexes.ts';

test('plain secondary indexes are deferred; PRIMARY, UNIQUE, FULLTEXT and SPATIAL stay', () => {
  const ddl = `CREATE TABLE \`t\` (
  \`id\` int(11) NOT NULL,
  \`a\` int(11) DEFAULT NULL,
  \`b\` varchar(100) DEFAULT NULL,
  \`g\` point NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`uq\` (\`a\`),
  KEY \`by_a\` (\`a\`),
  KEY \`odd\`\`name\` (\`b\`(10),\`a\`) COMMENT 'x, y',
  KEY \`last\` (\`b\`) USING BTREE,
  FULLTEXT KEY \`ft\` (\`b\`),
  SPATIAL KEY \`sp\` (\`g\`)
) ENGINE=InnoDB`;
  assert.deepEqual(plainIndexes(ddl), [
    { name: 'by_a', definition: 'KEY `by_a` (`a`)' },
    { name: 'odd`name', definition: "KEY `odd``name` (`b`(10),`a`) COMMENT 'x, y'" },
    { name: 'last', definition: 'KEY `last` (`b`) USING BTREE' },
  ]);
  assert.deepEqual(plainIndexes('CREATE TABLE `t` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n)'), []);
  const virtual = `CREATE TABLE \`t\` (
  \`id\` int(11) NOT NULL,
  \`a\` int(11) DEFAULT NULL,
  \`v\` int(11) GENERATED ALWAYS AS (\`a\` + 1) VIRTUAL,
  \`s\` int(11) GENERATED ALWAYS AS (\`a\` * 2) STORED,
  PRIMARY KEY (\`id\`),
  KEY \`by_a_v\` (\`a\`,\`v\`),
  KEY \`by_v\` (\`v\`),
  KEY \`by_s\` (\`s\`)
) ENGINE=InnoDB`;
  assert.deepEqual(plainIndexes(virtual).map((i) => i.name), ['by_s'], 'indexes over VIRTUAL columns stay on the shadow');
});

test('--defer-indexes / --no-defer-indexes set deferIndexes; both at once is refused; on by default', () => {
  assert.equal(ENGINE_DEFAULTS.deferIndexes, true);
  assert.equal(parseFlags(['--no-defer-indexes']).overrides.deferIndexes, false);
  assert.equal(parseFlags(['--defer-indexes']).overrides.deferIndexes, true);
  assert.equal(parseFlags([]).overrides.deferIndexes, undefined);
  assert.throws(() => parseFlags(['--defer-indexes', '--no-defer-indexes']), (e) => e instanceof InvalidOptionError && /contradict/.test(e.message));
});
