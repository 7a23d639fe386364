// Every shipped config is checked by the real programs: `otelcol-devtool validate` (and the resolved config
// from `print-config`) for the collector configs, `jaeger validate`, `promtool check config`; the generated
// configs are up to date with their templates; compose.yaml and the Grafana provisioning agree with the
// configs (structural only: no Docker here).
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BUILD_TIMEOUT, COLLECTOR_BIN, JAEGER_BIN, ROOT, ensureStackBuilt, stackLib } from './helpers';
// @ts-expect-error: plain ESM script without types
import { secretRules, identifyingKeysRegex, OUTPUTS } from '../../scripts/collector-config-gen.mjs';

const CC = path.join(ROOT, 'collector-config');
const COLLECTOR_CONFIGS = ['otel-collector.yaml', 'collector-config/agent.yaml', 'collector-config/gateway.yaml'];

// the ports' env variables are removed so that a user's environment does not change what is checked
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DEVTOOL_')));

function printConfig(config: string, env: Record<string, string> = {}): any {
  const out = execFileSync(COLLECTOR_BIN, ['print-config', '--mode', 'unredacted', '--format', 'json', '--config', path.join(ROOT, config)], {
    env: { ...cleanEnv(), ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out);
}

beforeAll(async () => {
  await ensureStackBuilt();
}, BUILD_TIMEOUT);

describe('collector configs', () => {
  it('are generated from collector-config/templates and up to date', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/collector-config-gen.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(Object.keys(OUTPUTS)).toHaveLength(COLLECTOR_CONFIGS.length);
  });

  it.each(COLLECTOR_CONFIGS)('otelcol validate passes: %s', (config) => {
    const r = spawnSync(COLLECTOR_BIN, ['validate', '--config', path.join(ROOT, config)], { env: cleanEnv(), encoding: 'utf8' });
    expect(r.stderr + r.stdout).not.toMatch(/error/i);
    expect(r.status).toBe(0);
  });

  it.each(COLLECTOR_CONFIGS)('memory_limiter first, privacy processors in every pipeline, batching in the exporters: %s', (config) => {
    const cfg = printConfig(config);
    const pipelines = cfg.service.pipelines;
    expect(Object.keys(pipelines).sort()).toEqual(['logs', 'metrics', 'traces']);
    for (const [name, p] of Object.entries<any>(pipelines)) {
      expect(p.processors[0], name).toBe('memory_limiter');
      expect(p.processors, name).toContain('devtool_redact');
      // the batch processor is deprecated: every pushing exporter batches in its sending queue instead
      // (the Prometheus exporter is scraped: it keeps the latest value, there is nothing to batch; the
      // file exporter of the logs writes a local file and has no sending queue at all)
      expect(p.processors, name).not.toContain('batch');
      for (const e of p.exporters.filter((x: string) => x !== 'prometheus' && !x.startsWith('file/'))) {
        const q = cfg.exporters[e].sending_queue;
        expect(q, `${name} -> ${e}: sending_queue`).toBeTruthy(); // an optional section: absent when disabled
        expect(q.batch.flush_timeout, `${name} -> ${e}`).toBe(1e9); // print-config renders durations in ns
        expect(q.batch.min_size, `${name} -> ${e}`).toBeGreaterThan(0);
        expect(q.batch.max_size, `${name} -> ${e}`).toBeGreaterThanOrEqual(q.batch.min_size);
      }
    }
    expect(cfg.processors).not.toHaveProperty('batch');
    // the tests' (and users') knob for the flush timeout still works
    const fast = printConfig(config, { DEVTOOL_COLLECTOR_BATCH_TIMEOUT: '100ms' });
    for (const [name, e] of Object.entries<any>(fast.exporters)) if (e.sending_queue?.batch) expect(e.sending_queue.batch.flush_timeout, name).toBe(1e8);
    expect(pipelines.traces.processors.slice(0, 4)).toEqual(['memory_limiter', 'filter/content', 'transform/privacy', 'devtool_redact']);
    expect(pipelines.logs.processors.slice(0, 3)).toEqual(['memory_limiter', 'filter/content', 'devtool_redact']);
    const red = cfg.processors.devtool_redact;
    expect(red.rules).toEqual(secretRules());
    expect(red.mask_keys_containing).toContain('password');
    expect(red.mask_keys_containing).not.toContain('token'); // gen_ai.usage.input_tokens must survive
    // identifying keys: one anchored regex from collector-config/identifying-keys.txt
    expect(red.drop_keys).toEqual([identifyingKeysRegex()]);
    const dropKey = new RegExp(red.drop_keys[0]);
    for (const k of ['host.name', 'host.ip', 'process.command_args', 'process.owner', 'process.executable.path', 'enduser.id', 'user.email', 'client.address', 'exception.message', 'exception.stacktrace', 'url.full', 'url.query', 'http.request.header.authorization', 'gen_ai.prompt', 'db.statement'])
      expect(dropKey.test(k), k).toBe(true);
    for (const k of ['service.name', 'service.version', 'service.instance.id', 'host.arch', 'os.type', 'process.exit.code', 'process.runtime.version', 'error.type', 'url.path', 'http.route', 'app.installation.id', 'gen_ai.request.model', 'gen_ai.usage.input_tokens', 'exception.type'])
      expect(dropKey.test(k), k).toBe(false);
    expect(cfg.extensions).toHaveProperty('health_check');
    expect(cfg.extensions.file_storage.create_directory).toBe(true);
  });

  it('otel-collector.yaml: contract ports by default, env overrides, persistent queue, no resource labels in Prometheus', () => {
    const cfg = printConfig('otel-collector.yaml');
    expect(cfg.receivers.otlp.protocols.grpc.endpoint).toBe('127.0.0.1:4317');
    expect(cfg.receivers.otlp.protocols.http.endpoint).toBe('127.0.0.1:4318');
    expect(cfg.extensions.health_check.endpoint).toBe('127.0.0.1:13133');
    expect(cfg.exporters.prometheus.endpoint).toBe('127.0.0.1:8889');
    expect(cfg.exporters['otlp/jaeger'].endpoint).toBe('127.0.0.1:14317');
    expect(cfg.exporters['otlp/jaeger'].sending_queue.storage).toBe('file_storage');
    expect(cfg.exporters.prometheus.resource_to_telemetry_conversion.enabled).toBe(false);
    expect(cfg.processors['resource/metrics'].attributes.map((a: any) => a.key).sort()).toEqual(['app.installation.id', 'process.pid', 'session.id']);
    expect(cfg.service.pipelines.metrics.processors).toContain('deltatocumulative');

    const env = stackLib.collectorEnv({ ...stackLib.DEFAULT_PORTS, collectorGrpcPort: 24317, collectorHttpPort: 24318, healthPort: 23133, promExporterPort: 28889, jaegerOtlpGrpcPort: 24319 });
    const moved = printConfig('otel-collector.yaml', env);
    expect(moved.receivers.otlp.protocols.grpc.endpoint).toBe('127.0.0.1:24317');
    expect(moved.receivers.otlp.protocols.http.endpoint).toBe('127.0.0.1:24318');
    expect(moved.extensions.health_check.endpoint).toBe('127.0.0.1:23133');
    expect(moved.exporters.prometheus.endpoint).toBe('127.0.0.1:28889');
    expect(moved.exporters['otlp/jaeger'].endpoint).toBe('127.0.0.1:24319');
  });

  it('agent.yaml routes traces by trace id and metrics by stream to a list of gateways', () => {
    const cfg = printConfig('collector-config/agent.yaml');
    expect(cfg.exporters['loadbalancing/traces'].routing_key).toBe('traceID');
    expect(cfg.exporters['loadbalancing/metrics'].routing_key).toBe('streamID');
    expect(cfg.exporters['loadbalancing/traces'].resolver.static.hostnames).toEqual(['127.0.0.1:4417', '127.0.0.1:4427']);
    const moved = printConfig('collector-config/agent.yaml', { DEVTOOL_GATEWAY_ENDPOINTS: '[gw-a:4317, gw-b:4317, gw-c:4317]' });
    expect(moved.exporters['loadbalancing/traces'].resolver.static.hostnames).toEqual(['gw-a:4317', 'gw-b:4317', 'gw-c:4317']);
  });

  it('the builder manifest pins one core/contrib release and the paired stable providers', () => {
    const text = fs.readFileSync(path.join(CC, 'builder-config.yaml'), 'utf8');
    const m = parseYaml(text);
    const mods: string[] = ['receivers', 'processors', 'exporters', 'extensions'].flatMap((k) => m[k].map((c: any) => c.gomod));
    const versions = new Set(mods.filter((g) => !g.includes('/devtool-telemetry/')).map((g) => g.split(' ')[1]));
    expect([...versions]).toEqual(['v0.161.0']);
    const providers = new Set(m.providers.map((p: any) => p.gomod.split(' ')[1]));
    expect([...providers]).toEqual(['v1.67.0']);
    expect(m.dist.name).toBe('otelcol-devtool');
    for (const c of ['devtoolredactprocessor', 'otlpreceiver', 'memorylimiterprocessor', 'batchprocessor', 'resourceprocessor', 'attributesprocessor', 'transformprocessor', 'redactionprocessor', 'filterprocessor', 'deltatocumulativeprocessor', 'otlpexporter', 'otlphttpexporter', 'debugexporter', 'fileexporter', 'prometheusexporter', 'loadbalancingexporter', 'healthcheckextension', 'filestorage']) {
      expect(mods.some((g) => g.split(' ')[0].endsWith('/' + c))).toBe(true);
    }
    expect(fs.readFileSync(path.join(ROOT, 'scripts/collector-build.sh'), 'utf8')).toContain('BUILDER_VERSION="v0.161.0"');
    const comps = execFileSync(COLLECTOR_BIN, ['components'], { encoding: 'utf8' });
    for (const c of ['devtool_redact', 'redaction', 'transform', 'deltatocumulative', 'loadbalancing', 'file_storage', 'prometheus']) expect(comps).toContain(c);
  });
});

describe('devtool_redact processor (collector-config/components)', () => {
  it('Go unit tests pass: every secret masked, innocent values kept, feature gating conservative', () => {
    const dir = path.join(CC, 'components/devtoolredactprocessor');
    const r = spawnSync('go', ['test', '-count=1', './...'], {
      cwd: dir,
      env: { ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '-mod=readonly' },
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(r.error, 'go is required to build the collector').toBeUndefined();
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 600_000);
});

describe('Jaeger and Prometheus configs', () => {
  it('jaeger validate passes; OTLP on 14317/14318, UI/API on 16686 (off the collector ports)', () => {
    const r = spawnSync(JAEGER_BIN, ['validate', '--config', path.join(CC, 'jaeger.yaml')], { env: cleanEnv(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const text = fs.readFileSync(path.join(CC, 'jaeger.yaml'), 'utf8');
    expect(text).toContain('${env:DEVTOOL_JAEGER_OTLP_GRPC_PORT:-14317}');
    expect(text).toContain('${env:DEVTOOL_JAEGER_OTLP_HTTP_PORT:-14318}');
    expect(text).toContain('${env:DEVTOOL_JAEGER_UI_PORT:-16686}');
    expect(text).not.toMatch(/:431[78]\b/);
  });

  it.each(['prometheus.yml', 'prometheus-compose.yml'])('promtool check config passes: %s', (file) => {
    const r = spawnSync('promtool', ['check', 'config', path.join(CC, file)], { encoding: 'utf8' });
    expect(r.error, 'promtool missing: scripts/prometheus-install.sh installs it with the prometheus package').toBeUndefined();
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const cfg = parseYaml(fs.readFileSync(path.join(CC, file), 'utf8'));
    const job = cfg.scrape_configs.find((j: any) => j.job_name === 'devtool-collector');
    expect(job.honor_labels).toBe(true);
    expect(job.static_configs[0].targets[0]).toMatch(/:8889$/);
  });

  it('the rendered Prometheus config of a private stack targets its ports', () => {
    const text = stackLib.renderPrometheusConfig({ promExporterPort: 18889, collectorTelemetryPort: 18888, scrapeInterval: '1s' });
    const cfg = parseYaml(text);
    expect(cfg.scrape_configs[0].static_configs[0].targets).toEqual(['127.0.0.1:18889']);
    expect(cfg.global.scrape_interval).toBe('1s');
  });
});

describe('compose.yaml and Grafana provisioning (structural)', () => {
  const compose = parseYaml(fs.readFileSync(path.join(CC, 'compose.yaml'), 'utf8'));
  const hostPath = (v: string) => path.resolve(CC, v.split(':')[0]);

  it('every mounted file exists and the collector build files are there', () => {
    for (const [name, svc] of Object.entries<any>(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const src = v.split(':')[0];
        if (!src.startsWith('.')) {
          expect(compose.volumes, `${name}: named volume ${src}`).toHaveProperty(src);
          continue;
        }
        expect(fs.existsSync(hostPath(v)), `${name}: ${v}`).toBe(true);
      }
    }
    const b = compose.services.collector.build;
    const ctx = path.resolve(CC, b.context);
    const dockerfile = fs.readFileSync(path.join(ctx, b.dockerfile), 'utf8');
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) expect(fs.existsSync(path.join(ctx, m[1])), m[1]).toBe(true);
    expect(dockerfile).toContain('BUILDER_VERSION=v0.161.0');
  });

  it('published ports are the contract defaults, on loopback, and agree with the configs', () => {
    const published = (svc: string) => compose.services[svc].ports.map((p: string) => p.split(':'));
    for (const [ip] of Object.values<any>(compose.services).flatMap((s) => (s.ports ?? []).map((p: string) => p.split(':')))) expect(ip).toBe('127.0.0.1');
    expect(published('collector').map((p: string[]) => [Number(p[1]), Number(p[2])])).toEqual([
      [4317, 4317],
      [4318, 4318],
      [13133, 13133],
      [8889, 8889],
    ]);
    expect(published('jaeger')).toEqual([['127.0.0.1', '16686', '16686']]);
    expect(published('prometheus')).toEqual([['127.0.0.1', '9090', '9090']]);
    // collector -> jaeger: the port Jaeger's config listens on for OTLP/gRPC
    expect(compose.services.collector.environment.DEVTOOL_JAEGER_OTLP_ENDPOINT).toBe('jaeger:14317');
    // prometheus -> collector exporter
    const promFile = compose.services.prometheus.volumes.find((v: string) => v.includes('/etc/prometheus/prometheus.yml'));
    const prom = parseYaml(fs.readFileSync(hostPath(promFile), 'utf8'));
    expect(prom.scrape_configs[0].static_configs[0].targets).toEqual(['collector:8889']);
    // the collector's config is the root otel-collector.yaml
    expect(compose.services.collector.volumes).toContain('../otel-collector.yaml:/etc/otelcol/config.yaml:ro');
    expect(compose.services.collector.command).toEqual(['--config', '/etc/otelcol/config.yaml']);
    expect(compose.services.jaeger.environment.DEVTOOL_JAEGER_HOST).toBe('0.0.0.0');
    expect(compose.services.collector.environment.DEVTOOL_COLLECTOR_HOST).toBe('0.0.0.0');
  });

  it('Grafana: datasource uid used by every panel, provider path = mounted dashboards, datasource url = prometheus service', () => {
    const g = compose.services.grafana;
    const provMount = g.volumes.find((v: string) => v.includes('/etc/grafana/provisioning'));
    const dashMount = g.volumes.find((v: string) => v.includes('/var/lib/grafana/dashboards'));
    const provDir = hostPath(provMount);
    const ds = parseYaml(fs.readFileSync(path.join(provDir, 'datasources/prometheus.yaml'), 'utf8')).datasources[0];
    expect(ds.type).toBe('prometheus');
    expect(ds.url).toBe(`http://prometheus:${compose.services.prometheus.ports[0].split(':')[2]}`);
    const provider = parseYaml(fs.readFileSync(path.join(provDir, 'dashboards/devtool-telemetry.yaml'), 'utf8')).providers[0];
    expect(provider.options.path).toBe(dashMount.split(':')[1]);
    const dashFiles = fs.readdirSync(hostPath(dashMount)).filter((f) => f.endsWith('.json'));
    expect(dashFiles).toEqual(['devtool-telemetry.json']);
    const dash = JSON.parse(fs.readFileSync(path.join(hostPath(dashMount), dashFiles[0]), 'utf8'));
    expect(dash.panels.length).toBeGreaterThanOrEqual(8);
    for (const p of dash.panels) {
      expect(p.datasource.uid, p.title).toBe(ds.uid);
      for (const t of p.targets) expect(t.datasource.uid).toBe(ds.uid);
    }
    const ids = dash.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
