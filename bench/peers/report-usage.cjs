// Preloaded last in every variant of a real-tool benchmark: at exit (after any earlier preload's
// own exit work), reports the process's peak RSS and CPU time the way the tiny CLI does.
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`RSS_KB=${u.maxRSS} CPU_US=${u.userCPUTime + u.systemCPUTime}\n`);
});
