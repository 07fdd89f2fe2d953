#!/usr/bin/env node
// The segkit command; the TypeScript build (npm run build) puts the CLI in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('segkit: not built yet; run `bash scripts/setup.sh` in ' + fileURLToPath(new URL('..', import.meta.url)));
  process.exit(1);
}
const { run } = await import(main.href);
await run(process.argv);
