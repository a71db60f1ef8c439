import { runPipelineBenchmark } from './bench/pipelineBenchmark.js';
import { loadConfig } from './core/config/loadConfig.js';
const r = await runPipelineBenchmark({ config: loadConfig(), rates: [2000, 5000, 10000, 20000], seconds: 10, naive: true, onProgress: console.error });
for (const p of r.phases) console.log(JSON.stringify(p));
