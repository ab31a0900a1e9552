import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');
const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'public' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });

/** The module a file belongs to: its first folder under src/ (config.ts-style files at the top count as their name). */
const moduleOf = (file: string): string => relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');

/** Every module a file imports (relative imports into src/ only). */
function importedModules(file: string): { module: string; line: string }[] {
  const text = readFileSync(file, 'utf8');
  const found: { module: string; line: string }[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), match[1]!);
    if (!target.startsWith(SRC + '/')) continue;
    found.push({ module: moduleOf(target), line: match[0] });
  }
  return found;
}

/** `- \`ledger\` never imports \`tasks\`, \`recovery\`: why` from the doc's Never section. */
export function neverRules(text: string): { from: string; forbidden: string[] }[] {
  return [...text.matchAll(/^- `(\w+)` never imports ((?:`\w+`(?:, )?)+)/gm)].map((m) => ({
    from: m[1]!,
    forbidden: [...m[2]!.matchAll(/`(\w+)`/g)].map((x) => x[1]!),
  }));
}

/** `| \`tasks\` | \`tasks\` |` rows of the doc's ownership table. */
function owners(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^\| `(\w+)` \| `(\w+)` \|$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Where a file's SQL names a table: the table after FROM, JOIN, INTO, UPDATE or DELETE FROM, outside comments. */
function tablesTouched(file: string, tables: readonly string[]): string[] {
  const code = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  return tables.filter((table) => new RegExp(`\\b(FROM|JOIN|INTO|UPDATE)\\s+${table}\\b`, 'i').test(code));
}

describe('architecture (docs/architecture.md)', () => {
  const files = sourceFiles(SRC);

  it('the doc states its rules and every module it names exists', () => {
    const modules = new Set(files.map(moduleOf));
    const rules = neverRules(doc);
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const { from, forbidden } of rules) for (const name of [from, ...forbidden]) expect(modules, name).toContain(name);
    expect(owners(doc).size).toBeGreaterThanOrEqual(11);
  });

  it('no import crosses a never-rule', () => {
    const broken: string[] = [];
    for (const { from, forbidden } of neverRules(doc)) {
      for (const file of files.filter((f) => moduleOf(f) === from)) {
        for (const { module, line } of importedModules(file)) {
          if (forbidden.includes(module)) broken.push(`${relative(ROOT, file)}: ${line} (${from} never imports ${module})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('only the owner of a table has SQL on it', () => {
    const table = owners(doc);
    const strays: string[] = [];
    for (const file of files) {
      for (const name of tablesTouched(file, [...table.keys()])) {
        if (moduleOf(file) !== table.get(name)) strays.push(`${relative(ROOT, file)} has SQL on ${name}, owned by ${table.get(name)}`);
      }
    }
    expect(strays).toEqual([]);
  });

  it('process.env is read only in src/config', () => {
    const readers = files.filter((f) => moduleOf(f) !== 'config' && /process\.env\b/.test(readFileSync(f, 'utf8')));
    expect(readers.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('the rules can fail: a forbidden import and a stray statement are caught', () => {
    const rules = neverRules('- `ledger` never imports `tasks`, `http`: money knows nothing of task states.');
    expect(rules).toEqual([{ from: 'ledger', forbidden: ['tasks', 'http'] }]);
    const probe = "import { findTask } from '../tasks/index.js';";
    expect([...probe.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => moduleOf(resolve(join(SRC, 'ledger'), m[1]!)))).toEqual(['tasks']);
  });
});
