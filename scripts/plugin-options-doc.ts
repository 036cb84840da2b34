/**
 * The options reference of the built-in plugins in docs/plugins.md, generated from their option
 * types (the interfaces and their doc comments), so the guide cannot drift from the code:
 *
 *   node --import tsx scripts/plugin-options-doc.ts --write   (npm run docs:options) rewrites it;
 *   test/unit/plugin-guide-options.test.ts fails when the guide differs from what this renders.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const GUIDE = join(ROOT, 'docs', 'plugins.md');

/** Each block of the reference: which interface, where, and its key in SluiceOptions / a config file. */
export const OPTION_BLOCKS = [
  { id: 'defaults', file: 'mod.ts', type: 'DefaultPluginOptions', key: '' },
  { id: 'mdl', file: 'plugins/mdl/index.ts', type: 'MdlPluginOptions', key: 'lock' },
  { id: 'checkpoint', file: 'plugins/checkpoint/index.ts', type: 'CheckpointPluginOptions', key: 'checkpoint' },
  { id: 'throttler', file: 'plugins/throttler/index.ts', type: 'ThrottlerPluginOptions', key: 'throttle' },
  { id: 'checksum', file: 'plugins/checksum/options.ts', type: 'ChecksumPluginOptions', key: 'checksum' },
  { id: 'hooks', file: 'plugins/hooks/index.ts', type: 'HooksPluginOptions', key: 'hooks' },
  { id: 'metrics', file: 'plugins/metrics/index.ts', type: 'MetricsPluginOptions', key: 'metrics' },
] as const;

export interface OptionDoc {
  readonly name: string;
  readonly type: string;
  readonly doc: string;
}

/** The properties of `typeName` in `file`, with their declared type and doc comment. */
export function readOptions(file: string, typeName: string): OptionDoc[] {
  const path = join(ROOT, file);
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  let found: ts.InterfaceDeclaration | undefined;
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === typeName) found = node;
  });
  if (!found) throw new Error(`interface ${typeName} not found in ${file}`);
  return found.members.filter(ts.isPropertySignature).map((m) => {
    const docs = ts.getJSDocCommentsAndTags(m).filter(ts.isJSDoc);
    const doc = docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join(' ').replace(/\s+/g, ' ').trim();
    return { name: m.name.getText(source), type: m.type ? m.type.getText(source).replace(/\s+/g, ' ') : 'unknown', doc };
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The markdown of one block, markers included. */
export function renderBlock(block: (typeof OPTION_BLOCKS)[number]): string {
  const rows = readOptions(block.file, block.type).map((o) =>
    `| \`${block.key ? `${block.key}.` : ''}${o.name}\` | \`${cell(o.type)}\` | ${cell(o.doc)} |`);
  return [
    `<!-- options:${block.id} (generated from ${block.type} in ${block.file} by npm run docs:options; do not edit) -->`,
    '| option | type | meaning |',
    '|---|---|---|',
    ...rows,
    `<!-- /options:${block.id} -->`,
  ].join('\n');
}

const BLOCK = (id: string) => new RegExp(`<!-- options:${id} [^\\n]*-->[\\s\\S]*?<!-- /options:${id} -->`);

/** The guide's current text of one block, or undefined when the markers are missing. */
export function guideBlock(guide: string, id: string): string | undefined {
  return BLOCK(id).exec(guide)?.[0];
}

/** The guide with every block regenerated. */
export function regenerate(guide: string): string {
  let out = guide;
  for (const block of OPTION_BLOCKS) {
    if (!BLOCK(block.id).test(out)) throw new Error(`docs/plugins.md has no <!-- options:${block.id} … --> block`);
    out = out.replace(BLOCK(block.id), () => renderBlock(block));
  }
  return out;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  if (process.argv.includes('--write')) {
    const before = readFileSync(GUIDE, 'utf8');
    const after = regenerate(before);
    writeFileSync(GUIDE, after);
    console.log(before === after ? 'docs/plugins.md: options reference up to date' : 'docs/plugins.md: options reference rewritten');
  } else {
    process.stdout.write(OPTION_BLOCKS.map(renderBlock).join('\n\n') + '\n');
  }
}
