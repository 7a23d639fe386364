// Example tool-using agent: the model asks for tools, the agent runs them on an MCP server, the
// model answers with their results. Real `openai` and `@modelcontextprotocol/sdk` clients, the
// local fake model server (fake-llm-server.mjs) and a local MCP tool server (tools-server.mjs),
// so it runs with no key and no network.
//
// Under the preload (`node --import devtool-telemetry/register tool-agent.mjs`, or
// `npm run example:tool-agent`), with no telemetry code around the calls, one step shows the
// loop: `chat gpt-4o-mini` (asks for tools) -> `execute_tool read_file`, `execute_tool run_tests`
// (with the model's call ids) -> `chat gpt-4o-mini` (the answer). Tool arguments and results,
// like prompts, are recorded only at the explicit `full` level.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { step, userInput } from 'devtool-telemetry';

const here = dirname(fileURLToPath(import.meta.url));
const MODEL = process.env.AGENT_MODEL || 'gpt-4o-mini';

function startLocalServer() {
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

async function main() {
  const task = process.argv.slice(2).join(' ') || 'fix the failing parser test';
  userInput('prompt');
  const local = process.env.OPENAI_BASE_URL ? undefined : await startLocalServer();
  const model = new OpenAI({ apiKey: process.env.OPENAI_API_KEY || 'not-needed-locally', baseURL: local ? `${local.url}/v1` : undefined });
  const tools = new Client({ name: 'tool-agent', version: '1.0.0' });
  await tools.connect(new StdioClientTransport({ command: process.execPath, args: [join(here, 'tools-server.mjs')] }));
  try {
    const offered = (await tools.listTools()).tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.inputSchema },
    }));
    const messages = [{ role: 'system', content: 'You are a careful coding agent.' }, { role: 'user', content: task }];
    const answer = await step('fix', async () => {
      for (let turn = 0; turn < 4; turn++) {
        const r = await model.chat.completions.create({ model: MODEL, messages, tools: offered });
        const msg = r.choices[0].message;
        messages.push(msg);
        if (!msg.tool_calls?.length) return msg.content;
        for (const call of msg.tool_calls) {
          const result = await tools.callTool({
            name: call.function.name,
            arguments: JSON.parse(call.function.arguments || '{}'),
            _meta: { toolCallId: call.id },
          });
          const text = result.content.map((c) => c.text ?? '').join('\n');
          console.log(`tool:  ${call.function.name} -> ${text.split('\n').pop()}`);
          messages.push({ role: 'tool', tool_call_id: call.id, content: text });
        }
      }
      return '(gave up after 4 turns)';
    });
    console.log(`answer: ${answer}`);
  } finally {
    await tools.close();
    local?.stop();
  }
}

await main();
