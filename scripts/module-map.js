#!/usr/bin/env node
'use strict';
// Draws the map of src/modules (one box per module, an arrow per "imports") from the code, with
// dependency-cruiser's mermaid output, into the README's Architecture section. `--check` (run by
// `npm run deps:check`) fails when the drawing in the README is not what the code gives.
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const readme = join(root, 'README.md');
const START = '<!-- module-map:start (npm run deps:map) -->';
const END = '<!-- module-map:end -->';

const raw = execFileSync(
  join(root, 'node_modules/.bin/depcruise'),
  [
    'src',
    '--config',
    '.dependency-cruiser.js',
    '--include-only',
    '^src/modules',
    '--exclude',
    '\\.spec\\.ts$',
    '--collapse',
    '^src/modules/[^/]+',
    '--output-type',
    'mermaid',
  ],
  { cwd: root, encoding: 'utf8' },
)
  .trim()
  .split('\n');
// Edges come in the order imports are met; sorted, the drawing changes only when the map does.
const isEdge = (line) => /^\w+-->\w+$/.test(line);
const drawing = [...raw.filter((l) => !isEdge(l)), ...raw.filter(isEdge).sort()].join('\n');

const text = readFileSync(readme, 'utf8');
const from = text.indexOf(START);
const to = text.indexOf(END);
if (from < 0 || to < from) {
  console.error(`README.md has no ${START} … ${END} section`);
  process.exit(1);
}
const next = `${text.slice(0, from + START.length)}\n\n\`\`\`mermaid\n${drawing}\n\`\`\`\n\n${text.slice(to)}`;
if (process.argv.includes('--check')) {
  if (next !== text) {
    console.error('The module map in README.md is not the one the code gives: run `npm run deps:map`.');
    process.exit(1);
  }
  console.log('module map in README.md: up to date');
} else {
  writeFileSync(readme, next);
  console.log('module map written to README.md');
}
