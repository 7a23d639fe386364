// A parent that starts 10 short node children one after the other (execFileSync), as a build
// script or an agent calling tools would. The children run without any preload (NODE_OPTIONS is
// not set), so the difference between variants is the parent's own cost: our child_process hook
// (CLIENT span, environment copy with TRACEPARENT) on top of the preload's start-up.
const { execFileSync } = require('node:child_process');
for (let i = 0; i < 10; i++) execFileSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`RSS_KB=${u.maxRSS} CPU_US=${u.userCPUTime + u.systemCPUTime}\n`);
});
