#!/usr/bin/env node
// Runs the TypeScript CLI without a build step (tsx registers the loader).
import { register } from 'tsx/esm/api';

register();
await import('../local/quiet-node20.ts');
const { main } = await import('../cli/main.ts');
await main(process.argv);
