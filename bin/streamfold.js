#!/usr/bin/env node
// The `streamfold` command: TypeScript sources run through tsx's loader, registered here.
import { register } from 'tsx/esm/api';

// streamfold runs on Node.js 24, what Lambda runs; `npm ci` installs it and npm scripts and
// `npx streamfold` use it. Started by an older Node.js, say so once, and keep the AWS SDK from
// printing its own eight-line notice in this process and in every child process and thread.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `streamfold: running on Node.js ${process.version}; streamfold is made for Node.js 24 (run it through npm or npx, which use the Node.js 24 "npm ci" installs)\n`,
  );
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

register();
await import('../cli/main.ts');
