import { App } from 'aws-cdk-lib';
import { ConfigError } from '../core/config/errors.js';
import { importConfigFile } from '../core/config/loadConfig.js';
import { createStreamfoldApp } from './createStreamfoldApp.js';
import { DeployContextError } from './DeployContextError.js';
import { readDeployContext } from './readDeployContext.js';

// Entry point of `npx cdk synth|deploy` (see cdk.json and docs/deploy.md). The configuration
// file (`-c config=FILE`, else STREAMFOLD_CONFIG, else streamfold.config.ts) is imported first,
// so building the app stays synchronous.
try {
  const app = new App();
  const { configFile } = readDeployContext(app.node);
  createStreamfoldApp(app, await importConfigFile(configFile, process.env, '-c config'));
} catch (error) {
  // A mistake in the configuration or the context is the user's: the message, not a stack.
  if (!(error instanceof ConfigError || error instanceof DeployContextError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
