/** Ordinary values must survive intact: a sanitizer that mangles them makes the data useless. */
import { describe, expect, it } from 'vitest';
import { createSanitizer } from '../../src/privacy/sanitize';
import { CTX } from './helpers';

const s = createSanitizer(CTX);

const TEXT: string[] = [
  // commands and tools
  'fixture-tool', 'fixture-tool build', '@acme/cli deploy', 'create-next-app', 'npm run build', 'npx tsc --noEmit', 'git status',
  // versions
  '1.0.0', '20.20.0', 'v18.19.1', '2.0.0-beta.3', '1.2.3+build.45', '0.223.0', '10.0.22631', '23.4.0', '5.15.153.1-microsoft-standard-WSL2',
  '4.18.0-553.22.1.el8_10.x86_64', '6.1.0-18-amd64',
  // model names
  'gpt-4o-mini-2024-07-18', 'gpt-4o-2024-08-06', 'o1-preview-2024-09-12', 'claude-3-5-sonnet-20241022', 'claude-3-7-sonnet-20250219',
  'claude-opus-4-1-20250805', 'anthropic.claude-3-5-sonnet-20241022-v2:0', 'meta-llama/Llama-3.1-70B-Instruct-Turbo', 'gemini-1.5-pro-002',
  'gemini-2.0-flash-exp', 'mistral-large-2411', 'text-embedding-3-large', 'llama-v3p1-405b-instruct', 'deepseek-ai/DeepSeek-R1-Distill-Qwen-32B',
  'models/gemini-1.5-flash-8b-001', 'Qwen/Qwen2.5-Coder-32B-Instruct',
  // OS descriptions
  'Debian GNU/Linux 12 (bookworm)', 'Ubuntu 24.04.1 LTS', 'Linux 6.1.0-18-amd64', 'macOS 14.4.1', 'Fedora Linux 40 (Workstation Edition)',
  'Windows 11 Pro', 'Alpine Linux v3.20', 'Darwin Kernel Version 23.4.0', 'Node.js', 'Red Hat Enterprise Linux 9.4 (Plow)',
  // error classes and codes
  'TypeError', 'ENOENT', 'ECONNREFUSED', 'ERR_INVALID_ARG_TYPE', 'ERR_MODULE_NOT_FOUND', 'AbortError', 'ResourceNotFoundException',
  'openai.APIConnectionError', 'RateLimitError', 'ValidationException', 'XMLHttpRequestException', 'DOMException',
  // steps, features, misc
  'install-deps', 'watch-mode', 'step build', 'chat gpt-4o', 'GET /users/:id', 'POST /api/v1/chat/completions', 'linux', 'x64', 'arm64',
  'github_actions', 'claude', '8-16GiB', 'success', 'SIGINT', 'tool_calls', 'end_turn', 'http/protobuf', 'utf-8', '2024-07-18', 'es2022',
  'See the docs at https://example.com for details'.replace('https://example.com', 'the website'), 'took 1234 ms', '3 files changed',
  'sha256', 'base64url', 'ResizeObserver loop limit exceeded', 'node_modules/.bin/tsc', './src/index.ts',
];

describe('false positives', () => {
  it.each(TEXT)('%j survives as text and as a span name', (v) => {
    expect(s.text(v)).toBe(v);
    expect(s.spanName(v)).toBe(v);
  });

  it('ordinary attributes survive', () => {
    const span = {
      'devtool.command.name': '@acme/cli deploy', 'gen_ai.request.model': 'claude-3-5-sonnet-20241022', 'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'error.type': 'ERR_INVALID_ARG_TYPE', 'gen_ai.response.finish_reasons': ['stop', 'tool_calls'], 'devtool.command.flags': ['--watch', '-p'],
      'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat', 'devtool.step.name': 'install-deps',
      'url.path': '/api/v1/chat/completions', 'http.route': '/users/:id',
    };
    expect(s.attributes('span', span)).toEqual(span);
    const resource = {
      'os.description': 'Debian GNU/Linux 12 (bookworm)', 'os.name': 'Debian GNU/Linux', 'os.version': '6.1.0-18-amd64', 'os.type': 'linux',
      'service.version': '2.0.0-beta.3', 'process.runtime.version': '20.20.0', 'app.installation.id': '123e4567-e89b-42d3-a456-426614174000',
      'session.id': 'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'service.instance.id': '9b2f3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      'devtool.ci.vendor': 'github_actions', 'devtool.host.memory.total.bucket': '8-16GiB', 'os.version.wsl': 'x',
    };
    const { 'os.version.wsl': _drop, ...want } = resource;
    expect(s.attributes('resource', resource)).toEqual(want);
    expect(s.attributes('resource', { 'os.version': '5.15.153.1-microsoft-standard-WSL2' })).toEqual({ 'os.version': '5.15.153.1-microsoft-standard-WSL2' });
  });
});
