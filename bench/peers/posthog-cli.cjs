// Peer: a CLI that reports its run with posthog-node (capture + shutdown), as WrenAI-style tools do.
const { PostHog } = require('posthog-node');
const client = new PostHog('phc_bench_key', { host: process.env.POSTHOG_HOST, flushAt: 1 });
client.capture({ distinctId: 'bench', event: 'command run', properties: { command: 'run' } });
let n = 0;
for (let i = 0; i < 1000; i++) n += i;
process.stdout.write(`run ${n}\n`);
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`RSS_KB=${u.maxRSS} CPU_US=${u.userCPUTime + u.systemCPUTime}\n`);
});
client.shutdown().catch(() => {});
