#!/usr/bin/env node
// Adds up the jest reports of the test tiers into one closing line: "tests: N passed, N failed".
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = path.resolve(__dirname, '..', '.jest');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const tier of ['unit', 'int', 'e2e']) {
  const file = path.join(dir, `${tier}.json`);
  if (!fs.existsSync(file)) {
    console.error(`no report for the ${tier} tests (${file})`);
    process.exit(1);
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
