#!/usr/bin/env node
// The `medic` command; `npm run build` produces what it runs.
require('../dist/apps/cli/src/main.js');
