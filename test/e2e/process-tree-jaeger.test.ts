/**
 * A process tree end to end, nothing mocked: an agent-like tool (preloaded through NODE_OPTIONS)
 * runs two tools inside step()s -> each process spools -> the detached shipper -> our collector
 * build with otel-collector.yaml -> Jaeger. Jaeger must show ONE trace with one root, and every
 * process under the right parent: command -> step -> CLIENT span -> the child's command span.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkPackage, runFixture } from '../support/run-fixture';
// @ts-expect-error: plain ESM helpers of the demo
import { treeDemo } from '../../scripts/demo-tree.mjs';
import { eventually as stackEventually } from '../../scripts/stack-lib.mjs';
// @ts-expect-error: plain ESM helper of the examples
import { linkExamples } from '../../examples/link.mjs';
import { sandboxPerFile } from '../support/hooks';
import { eventually, privateStackPerFile, type JaegerSpan, type JaegerTrace } from './private-stack';

const SPAWNER_DIR = path.join(__dirname, '..', 'trees', 'fixtures', 'spawner');

beforeAll(() => linkPackage(SPAWNER_DIR));
const stack = privateStackPerFile();
const sb = sandboxPerFile();

const parentId = (s: JaegerSpan): string | undefined => s.references.find((r) => r.refType === 'CHILD_OF')?.spanID;

describe('a process tree in Jaeger', { timeout: 240_000 }, () => {
  it('is one trace with one root and every process under the step that started it', async () => {
    const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.endpoints.otlpHttp };
    const r = await runFixture({ script: path.join(SPAWNER_DIR, 'cli.js'), args: ['steps'], mode: 'node-options', env, timeoutMs: 30_000 });
    expect(r.code).toBe(0);

    const complete = (t: JaegerTrace) => new Set(Object.values(t.processes).map((p) => p.serviceName)).size === 3 && t.spans.length >= 7;
    const traces = await eventually(() => stack.queryJaegerTraces('spawner'), (ts) => ts.some(complete), 90_000, 'the spawner tree in Jaeger');
    const trace = traces.find(complete)!;
    const service = (s: JaegerSpan) => trace.processes[s.processID]!.serviceName;
    const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
    const roots = trace.spans.filter((s) => !parentId(s));
    expect(roots.map((s) => service(s))).toEqual(['spawner']);
    expect(roots[0]!.tags.some((t) => t.key === 'devtool.command.outcome')).toBe(true); // the command span
    for (const [tool, step] of [
      ['tool-a', 'step lint'],
      ['tool-b', 'step run-tests'],
    ]) {
      const cmd = trace.spans.find((s) => service(s) === tool && s.tags.some((t) => t.key === 'devtool.command.outcome'))!;
      expect(cmd, tool).toBeDefined();
      const client = byId.get(parentId(cmd)!)!;
      expect(client.operationName).toBe('node');
      expect(client.tags.find((t) => t.key === 'span.kind')?.value).toBe('client');
      const stepSpan = byId.get(parentId(client)!)!;
      expect(stepSpan.operationName).toBe(step);
      expect(parentId(stepSpan)).toBe(roots[0]!.spanID);
    }
  });

  it('the demo: the agent example runs two tools through step(), printed from Jaeger as one tree', async () => {
    linkExamples();
    const lines: string[] = [];
    const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.endpoints.otlpHttp };
    const trace = await treeDemo({ env, endpoints: stack.endpoints, say: (l: string) => lines.push(l), eventually: stackEventually });
    const text = lines.join('\n');
    expect(trace, text).toBeDefined();
    // One root, and the shape the example's header comment promises.
    const tree = text.split('\n').filter((l) => l.startsWith('    ')).map((l) => l.slice(4).replace(/\s+\(.*$/, ''));
    expect(tree, text).toEqual([
      'ai-agent',
      '  step lint',
      '    node',
      '      cli-tool build',
      '        step compile',
      '        step bundle',
      '  step run-tests',
      '    node',
      '      cli-tool deploy',
    ]);
    expect(text).toMatch(/ node\s+\(ai-agent, client, exit 1, error\.type _OTHER/);
    expect(text).toMatch(/cli-tool deploy\s+\(cli-tool, internal, exit 1, error\.type ConfigError/);
    console.log(text);
  });
});
