import { App } from 'aws-cdk-lib';
import { createStreamfoldApp } from './createStreamfoldApp.js';

// Entry point of `npx cdk synth|deploy` (see cdk.json and docs/deploy.md).
createStreamfoldApp(new App());
