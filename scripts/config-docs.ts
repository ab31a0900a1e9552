// Writes .env.example and the README's configuration table from the declarations (src/config/variables.ts); a
// test fails while either is out of step.
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_TABLE_END, CONFIG_TABLE_START, configurationTable, envExample } from '../src/config/index.js';

const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');
const start = readme.indexOf(CONFIG_TABLE_START);
const end = readme.indexOf(CONFIG_TABLE_END);
if (start < 0 || end < start) throw new Error(`README.md lacks the ${CONFIG_TABLE_START} … ${CONFIG_TABLE_END} markers`);
writeFileSync(readmeUrl, `${readme.slice(0, start + CONFIG_TABLE_START.length)}\n${configurationTable()}\n${readme.slice(end)}`);
writeFileSync(new URL('../.env.example', import.meta.url), envExample());
