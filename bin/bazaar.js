#!/usr/bin/env node
// The `bazaar` command (package.json "bin"): runs src/cli/main.ts through tsx, a runtime dependency,
// the same way `npm start` runs the server, so the CLI needs no build step and is never stale.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
