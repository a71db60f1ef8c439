import { App } from 'aws-cdk-lib';
import { importConfigFile } from '../core/config/loadConfig.js';
import { createStreamfoldApp } from './createStreamfoldApp.js';
import { readDeployContext } from './readDeployContext.js';

// Entry point of `npx cdk synth|deploy` (see cdk.json and docs/deploy.md). The configuration
// file (`-c config=FILE`, else STREAMFOLD_CONFIG, else streamfold.config.ts) is imported first,
// so building the app stays synchronous.
const app = new App();
createStreamfoldApp(app, await importConfigFile(readDeployContext(app.node).configFile));
