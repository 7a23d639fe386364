// Example AI coding agent: plan -> edit -> run-tests, with the real `openai` client. It talks to
// the local fake server shipped next to it (started as a child process), so it runs with no key
// and no network; set OPENAI_BASE_URL to point it elsewhere.
//
// Under the preload (`node --import devtool-telemetry/register agent.mjs "fix the parser"`, or
// `npm run example:agent` from the repository root) every LLM request is captured with no code
// here: a `chat gpt-4o-mini` span with model and token counts, nested in the step that made it,
// plus the gen_ai.client.* metrics. The steps and the typed-prompt counter use the small API;
// the prompt text itself is never recorded (only at the explicit `full` level, after scrubbing).
import OpenAI from 'openai';
import { step, userInput } from 'devtool-telemetry';
import { startLocalServer } from './local-llm.mjs';

const MODEL = process.env.AGENT_MODEL || 'gpt-4o-mini';

async function main() {
  const task = process.argv.slice(2).join(' ') || 'fix the failing parser test';
  userInput('prompt'); // a person typed the task: counted, never stored

  const local = process.env.OPENAI_BASE_URL ? undefined : await startLocalServer();
  const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY || 'not-needed-locally', baseURL: local ? `${local.url}/v1` : undefined });
  const history = [{ role: 'system', content: 'You are a careful coding agent.' }, { role: 'user', content: task }];

  try {
    const plan = await step('plan', async () => {
      const r = await client.chat.completions.create({ model: MODEL, messages: [...history, { role: 'user', content: 'Make a plan.' }] });
      return r.choices[0].message.content;
    });
    console.log(`plan:  ${plan}`);
    history.push({ role: 'assistant', content: plan });

    const edit = await step('edit', async () => {
      // Streamed, with usage in the final chunk: tokens are counted when the stream ends.
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [...history, { role: 'user', content: 'Now edit the code.' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    });
    console.log(`edit:  ${edit}`);

    const report = await step('run-tests', async () => {
      const r = await client.chat.completions.create({ model: MODEL, messages: [...history, { role: 'user', content: 'Run the test suite.' }] });
      return r.choices[0].message.content;
    });
    console.log(`tests: ${report}`);
  } finally {
    local?.stop();
  }
}

await main();
