// A CLI that prints nothing (so neither stdout nor stderr is initialised, and node:net/streams are
// not loaded by the app): the worst case for loading node:child_process at start of an enabled
// run. Reports peak RSS and CPU at exit, after any preload's own exit work.
let n = 0;
for (let i = 0; i < 1000; i++) n += i;
process.on('exit', () => {
  const u = process.resourceUsage();
  require('node:fs').writeSync(2, `RSS_KB=${u.maxRSS} CPU_US=${u.userCPUTime + u.systemCPUTime} ${n > 0 ? '' : ''}\n`);
});
