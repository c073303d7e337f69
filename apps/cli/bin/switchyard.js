#!/usr/bin/env node
// The installed `switchyard` command: the bundled CLI (see apps/cli/scripts/build.mjs).
require('../lib/switchyard.cjs');
