#!/usr/bin/env node
// Runs the TypeScript command line without a build step, from any directory.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
