#!/usr/bin/env node
// The `switchyard` command: runs the TypeScript server through tsx's loader (a runtime dependency), so
// there is no build step between a checkout and a running proxy.
import { register } from 'tsx/esm/api';

register();
await import('../src/server.ts');
