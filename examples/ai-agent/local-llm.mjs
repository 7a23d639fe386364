// The examples' local model server: fake-llm-server.mjs (OpenAI and Anthropic wire formats) started
// on a free loopback port, so the agents run with no API key and no network.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Start fake-llm-server.mjs on a free port; resolves with its URL and a stop function. */
export function startLocalServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'fake-llm-server.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) resolve({ url: m[1], stop: () => child.kill('SIGTERM') });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`fake LLM server exited (${code})`)));
  });
}
