// The tiny CLI as an ES module of a tool that declares `openai`: the preload installs its ESM hook
// for it (module.register's hooks thread on Node 20, in-thread module.registerHooks on 22.15+).
const args = process.argv.slice(2);
let n = 0;
for (let i = 0; i < 1000; i++) n += i;
process.stdout.write(`${args[0] || 'run'} ${n}\n`);
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`RSS_KB=${u.maxRSS} CPU_US=${u.userCPUTime + u.systemCPUTime}\n`);
});
