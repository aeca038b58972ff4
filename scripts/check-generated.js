#!/usr/bin/env node
// Fails when libs/contracts/src/gen is not what `buf generate` makes from proto/:
// the generated contracts must never drift from their .proto source.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const YAML = require('yaml');

const root = path.resolve(__dirname, '..');
const committed = path.join(root, 'libs/contracts/src/gen');
const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'medic-gen-'));
const template = YAML.parse(fs.readFileSync(path.join(root, 'buf.gen.yaml'), 'utf8'));
for (const plugin of template.plugins) plugin.out = fresh;

const bin = path.join(root, 'node_modules/.bin');
execFileSync(path.join(bin, 'buf'), ['generate', '--template', JSON.stringify(template)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
});

const list = (dir) =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();

const problems = [];
const want = list(fresh);
const have = fs.existsSync(committed) ? list(committed) : [];
for (const f of want) {
  if (!have.includes(f)) problems.push(`missing: ${f}`);
  else if (fs.readFileSync(path.join(fresh, f), 'utf8') !== fs.readFileSync(path.join(committed, f), 'utf8')) problems.push(`stale: ${f}`);
}
for (const f of have) if (!want.includes(f)) problems.push(`not generated from proto/: ${f}`);
fs.rmSync(fresh, { recursive: true, force: true });

if (problems.length > 0) {
  console.error(`libs/contracts/src/gen is out of date with proto/ — run \`npm run proto:gen\` and commit:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`generated contracts are up to date (${want.length} files)`);
