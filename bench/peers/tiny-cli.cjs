// The tiny CLI every variant runs: parse argv, do a little work, exit 0. The last 'exit'
// listener reports peak RSS, after any preload's own exit work has run.
const args = process.argv.slice(2);
let n = 0;
for (let i = 0; i < 1000; i++) n += i;
process.stdout.write(`${args[0] || 'run'} ${n}\n`);
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`RSS_KB=${u.maxRSS} CPU_US=${u.userCPUTime + u.systemCPUTime}\n`);
});
