/**
 * `node --require devtool-telemetry/register app.js` (or `--import`, or NODE_OPTIONS):
 * records this process as one command run. Tiny on purpose: see bootstrap.ts.
 */
import { bootstrap } from './bootstrap';

bootstrap(process.argv[1]);
