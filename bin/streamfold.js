#!/usr/bin/env node
// The `streamfold` command: TypeScript sources run through tsx's loader, registered here.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
