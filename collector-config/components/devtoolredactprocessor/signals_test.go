package devtoolredactprocessor

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The vectors the SDK's tests run too (test/privacy/one-source.test.ts): what the one rules source and the
// path scanner must replace and keep. A rule changed on one side only fails one of the two.
type sharedVectors struct {
	Secrets []string `json:"secrets"`
	Kept    []string `json:"kept"`
	Paths   struct {
		Replaced [][2]string `json:"replaced"`
		Kept     []string    `json:"kept"`
	} `json:"paths"`
}

func loadVectors(t *testing.T) sharedVectors {
	data, err := os.ReadFile("../../../test/fixtures/secrets/shared-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v sharedVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Secrets) < 40 || len(v.Kept) < 20 || len(v.Paths.Replaced) < 10 {
		t.Fatalf("vectors file looks truncated: %d secrets, %d kept, %d paths", len(v.Secrets), len(v.Kept), len(v.Paths.Replaced))
	}
	return v
}

func TestSharedVectors(t *testing.T) {
	v := loadVectors(t)
	r := newTestRedactor(t, true)
	for _, sec := range v.Secrets {
		for _, wrap := range []string{"%s", "a %s b", "key=%s", "(%s)", "\"%s\""} {
			in := strings.Replace(wrap, "%s", sec, 1)
			if got, _ := r.maskString(in); strings.Contains(got, sec) {
				t.Errorf("secret survives: %q -> %q", in, got)
			}
		}
	}
	for _, k := range v.Kept {
		if got, changed := r.maskString(k); changed {
			t.Errorf("innocent value changed: %q -> %q", k, got)
		}
	}
	for _, p := range v.Paths.Replaced {
		if got, _ := replacePaths(p[0], "{path}"); got != p[1] {
			t.Errorf("path: %q -> %q, want %q", p[0], got, p[1])
		}
		if got, _ := r.maskString(p[0]); got != p[1] {
			t.Errorf("path through the processor: %q -> %q, want %q", p[0], got, p[1])
		}
	}
	for _, k := range v.Paths.Kept {
		if got, changed := replacePaths(k, "{path}"); changed {
			t.Errorf("not a path, changed: %q -> %q", k, got)
		}
	}
}

const (
	ghp = "ghp_LEAK0123456789abcdefghijABCDEFGHIJ"
	aws = "AKIALEAK0123456789AB"
)

var planted = "x " + ghp + " " + aws + " /home/alice/clients/acme-corp/plan.md"

func assertClean(t *testing.T, what, dump string) {
	t.Helper()
	for _, n := range []string{"ghp_LEAK", "AKIALEAK", "acme-corp", "LEAKUNKNOWN"} {
		if strings.Contains(dump, n) {
			t.Errorf("%s: %q survives in %s", what, n, dump)
		}
	}
}

func fillScope(sc pcommon.InstrumentationScope) {
	sc.SetName("scope " + ghp)
	sc.SetVersion(aws)
	sc.Attributes().PutStr("unknown.scope.key", "LEAKUNKNOWN")
	sc.Attributes().PutStr("devtool.command.name", planted)
}

func fillResource(res pcommon.Resource) {
	res.Attributes().PutStr("service.name", "tool")
	res.Attributes().PutStr("unknown.key", "LEAKUNKNOWN plain words")
	res.Attributes().PutStr("os.description", planted)
	res.Attributes().PutStr("app.installation.id", "6f1c2a9e-0b3d-4c5e-8f7a-6b5c4d3e2f1a")
	res.Attributes().PutStr("session.id", "not-an-id LEAKUNKNOWN")
}

// Every string field of every signal: scope name/version, trace states, metric name/description/unit,
// metadata, log event name and severity text, schema URLs; unknown keys everywhere.
func TestEveryStringFieldOfEverySignal(t *testing.T) {
	r := newTestRedactor(t, true)

	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	fillResource(rs.Resource())
	rs.SetSchemaUrl("https://example.com/" + ghp)
	ss := rs.ScopeSpans().AppendEmpty()
	fillScope(ss.Scope())
	sp := ss.Spans().AppendEmpty()
	sp.SetName("compile /home/alice/clients/acme-corp/merger-plan/src/index.ts")
	sp.TraceState().FromRaw("rojo=00f067aa0ba902b7,vendor=" + ghp + ",aws=" + aws)
	sp.Attributes().PutStr("unknown.span.key", "LEAKUNKNOWN")
	sp.Attributes().PutStr("url.path", "/v1/chat/completions")
	sp.Attributes().PutStr("devtool.command.name", planted)
	ev := sp.Events().AppendEmpty()
	ev.SetName("ev " + aws)
	ev.Attributes().PutStr("unknown.event.key", "LEAKUNKNOWN")
	ln := sp.Links().AppendEmpty()
	ln.TraceState().FromRaw("congo=" + ghp)
	ln.Attributes().PutStr("unknown.link.key", "LEAKUNKNOWN")
	if _, err := r.processTraces(t.Context(), td); err != nil {
		t.Fatal(err)
	}
	var tm ptrace.JSONMarshaler
	b, _ := tm.MarshalTraces(td)
	assertClean(t, "traces", string(b))
	if got := sp.TraceState().AsRaw(); !strings.HasPrefix(got, "rojo=00f067aa0ba902b7,") {
		t.Errorf("a span id in the trace state is legitimate there, got %q", got)
	}
	if v, _ := sp.Attributes().Get("url.path"); v.Str() != "/v1/chat/completions" {
		t.Errorf("url.path is a URL path, not a file path: %q", v.Str())
	}
	if sp.Name() != "compile {path}" {
		t.Errorf("span name %q", sp.Name())
	}
	res := rs.Resource().Attributes()
	if v, ok := res.Get("app.installation.id"); !ok || v.Str() != "6f1c2a9e-0b3d-4c5e-8f7a-6b5c4d3e2f1a" {
		t.Error("an id key keeps its uuid")
	}
	if _, ok := res.Get("session.id"); ok {
		t.Error("an id key with something else than an id is dropped")
	}
	if _, ok := res.Get("service.name"); !ok {
		t.Error("service.name dropped")
	}

	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	fillResource(rm.Resource())
	sm := rm.ScopeMetrics().AppendEmpty()
	fillScope(sm.Scope())
	m := sm.Metrics().AppendEmpty()
	m.SetName("devtool.leak." + ghp)
	m.SetDescription("counts " + planted)
	m.SetUnit("{" + aws + "}")
	m.Metadata().PutStr("unknown.meta", "LEAKUNKNOWN")
	dp := m.SetEmptySum().DataPoints().AppendEmpty()
	dp.SetIntValue(1)
	dp.Attributes().PutStr("unknown.point.key", "LEAKUNKNOWN")
	dp.Attributes().PutStr("devtool.command.outcome", "success")
	ex := dp.Exemplars().AppendEmpty()
	ex.FilteredAttributes().PutStr("unknown.exemplar.key", "LEAKUNKNOWN")
	ex.FilteredAttributes().PutStr("error.type", aws)
	if _, err := r.processMetrics(t.Context(), md); err != nil {
		t.Fatal(err)
	}
	var mm pmetric.JSONMarshaler
	b, _ = mm.MarshalMetrics(md)
	assertClean(t, "metrics", string(b))
	if v, ok := dp.Attributes().Get("devtool.command.outcome"); !ok || v.Str() != "success" {
		t.Error("an accepted key was dropped")
	}

	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	fillResource(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	fillScope(sl.Scope())
	lr := sl.LogRecords().AppendEmpty()
	lr.SetEventName("event." + ghp)
	lr.SetSeverityText("INFO " + aws)
	lr.Body().SetEmptyMap().PutStr("msg", planted)
	lr.Attributes().PutStr("unknown.log.key", "LEAKUNKNOWN")
	if _, err := r.processLogs(t.Context(), ld); err != nil {
		t.Fatal(err)
	}
	var lm plog.JSONMarshaler
	b, _ = lm.MarshalLogs(ld)
	assertClean(t, "logs", string(b))
	if v, ok := lr.Body().Map().Get("msg"); !ok || !strings.HasPrefix(v.Str(), "x ****") {
		t.Errorf("a log body keeps its keys, masked: %v", lr.Body().AsRaw())
	}
}

func TestOperatorWidensTheAllowlist(t *testing.T) {
	r := newRedactorWith(t, true, func(c *Config) {
		c.AllowedKeys.Extra = []string{"crewai.process"}
		c.AllowedKeys.ExtraPatterns = append(c.AllowedKeys.ExtraPatterns, `^visivo\.[a-z_.]+$`)
	})
	m := pcommon.NewMap()
	m.PutStr("crewai.process", "sequential")
	m.PutStr("visivo.object.type", "chart "+ghp)
	m.PutStr("devtool.feature.prop.source", "ui") // the default pattern of the shipped config
	m.PutStr("other.tool.key", "x")
	r.attrs(m)
	got := m.AsRaw()
	if got["crewai.process"] != "sequential" || got["visivo.object.type"] != "chart ****" || got["devtool.feature.prop.source"] != "ui" {
		t.Errorf("widened keys: %v", got)
	}
	if _, ok := got["other.tool.key"]; ok {
		t.Error("a key nobody accepted survives")
	}
	// the shipped config alone drops them
	m2 := pcommon.NewMap()
	m2.PutStr("crewai.process", "sequential")
	newTestRedactor(t, true).attrs(m2)
	if m2.Len() != 0 {
		t.Errorf("not in the registry, kept: %v", m2.AsRaw())
	}
}

// Legitimate hex where it is legitimate; free-text hex ids and random tokens masked as in the SDK.
func TestHexAndEntropyFalsePositives(t *testing.T) {
	r := newTestRedactor(t, true)
	for _, v := range []string{
		"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "dd=s:1;t.tid:66a6a8b000000000", "ot=th:8;rv:9b8a7c6d5e4f30",
	} {
		if got, changed := r.maskStringMode(v, modeTraceState); changed {
			t.Errorf("trace state changed: %q -> %q", v, got)
		}
	}
	for _, v := range []string{"createTemporaryDirectoryForTesting", "ERR_INVALID_ARG_TYPE", "XMLHttpRequestException", "claude-3-7-sonnet-20250219", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		if got, changed := r.maskString(v); changed {
			t.Errorf("%q -> %q", v, got)
		}
	}
	for _, v := range []string{"commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "trace 4bf92f3577b34da6a3ce929d0e0e4736", "key q8W3e5R7t9Y2u4I6o1P3a5S7d9F2g4H6"} {
		if got, _ := r.maskString(v); !strings.HasSuffix(got, " ****") {
			t.Errorf("%q -> %q", v, got)
		}
	}
}

func TestAllowedKeysFileIsTheCatalog(t *testing.T) {
	// the embedded registry is the generated file (the generator's --check compares it with the catalog)
	data, err := os.ReadFile("allowed-keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != builtinAllowedKeys {
		t.Fatal("embedded registry differs from allowed-keys.txt")
	}
	keys := map[string]keyKind{}
	parseAllowedKeys(builtinAllowedKeys, keys)
	for k, want := range map[string]keyKind{"service.name": kindText, "app.installation.id": kindID, "url.path": kindURLPath, "http.route": kindURLPath} {
		if got, ok := keys[k]; !ok || got != want {
			t.Errorf("%s: kind %v present %v", k, got, ok)
		}
	}
}

// A span shaped like our SDK's (catalog attributes, ~15 resource attributes): the per-span cost.
func BenchmarkRealisticSpan(b *testing.B) {
	r := newTestRedactor(b, true)
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	for k, v := range map[string]string{"service.name": "bench-tool", "service.version": "1.4.2", "service.instance.id": "5b8c1f0e-3f6a-4c1e-9d2a-7e4b6c8d9a01",
		"os.type": "linux", "os.version": "6.8.0-45-generic", "os.name": "Ubuntu", "os.description": "Ubuntu 24.04.1 LTS", "host.arch": "amd64",
		"process.runtime.name": "nodejs", "process.runtime.version": "20.19.43", "telemetry.sdk.name": "devtool-telemetry", "telemetry.sdk.language": "nodejs",
		"telemetry.sdk.version": "0.1.0", "app.installation.id": "0f8e6c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b", "session.id": "9a7b5c3d-1e2f-4a6b-8c0d-2e4f6a8b0c1d"} {
		rs.Resource().Attributes().PutStr(k, v)
	}
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("devtool-telemetry")
	ss.Scope().SetVersion("0.1.0")
	for i := 0; i < 100; i++ {
		sp := ss.Spans().AppendEmpty()
		sp.SetName("bench-tool build")
		a := sp.Attributes()
		a.PutStr("devtool.command.name", "bench-tool build")
		a.PutStr("devtool.command.outcome", "success")
		a.PutInt("process.exit.code", 0)
		a.PutStr("gen_ai.request.model", "gpt-4o-mini-2024-07-18")
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("error.type", "ENOENT")
		a.PutDouble("devtool.process.cpu.user", 0.42)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := ptrace.NewTraces()
		td.CopyTo(c)
		if _, err := r.processTraces(b.Context(), c); err != nil {
			b.Fatal(err)
		}
	}
}

// Tool-call ids are opaque ids issued by providers: random-looking by nature, so the entropy rule does not
// apply to them; every other rule does, and a value any rule would change is dropped whole (the SDK's opaqueId).
func TestOpaqueToolCallIDs(t *testing.T) {
	r := newTestRedactor(t, true)
	kept := []string{"call_Yk5ZV1bO3d9kXjQ2rNw8TmHa", "toolu_01A09q90qw90lq917835lq9", "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
		"fc_68a1f2c3d4e5f60718293a4b5c6d7e8f0a1b2c3d4e5f6a7b", "D681PevKs", "adk-3f1c9a7e-5b2d-4e8f-9a6c-1d2e3f4a5b6c", "42",
		"3f1c9a7e-5b2d-4e8f-9a6c-1d2e3f4a5b6c"}
	dropped := []string{"/home/alice/projects/secret-plan.md", "alice@example.com", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
		ghp, aws, "10.1.2.3", "call me maybe", strings.Repeat("a", 129),
		"jeiE6FOF0ONxX828DQz0Dprb", "token_Yk5ZV1bO3d9kXjQ2rNw8TmHa", "5aa7814b42b7050cc194dfe9f7e977d7e8b2e2a43ddfa90a841d98cb7070328d"}
	for _, v := range kept {
		m := pcommon.NewMap()
		m.PutStr("gen_ai.tool.call.id", v)
		r.attrs(m)
		if got, ok := m.Get("gen_ai.tool.call.id"); !ok || got.Str() != v {
			t.Errorf("provider id %q: %v", v, m.AsRaw())
		}
	}
	for _, v := range dropped {
		m := pcommon.NewMap()
		m.PutStr("gen_ai.tool.call.id", v)
		m.PutStr("gen_ai.tool.name", "read_file")
		r.attrs(m)
		if _, ok := m.Get("gen_ai.tool.call.id"); ok {
			t.Errorf("not an id, kept: %q -> %v", v, m.AsRaw())
		}
		if _, ok := m.Get("gen_ai.tool.name"); !ok {
			t.Errorf("a dropped id took its neighbour along: %v", m.AsRaw())
		}
	}
	m := pcommon.NewMap()
	m.PutInt("gen_ai.tool.call.id", 42)
	r.attrs(m)
	if m.Len() != 0 {
		t.Errorf("a non-string id is kept: %v", m.AsRaw())
	}
	// the same value in free text is still judged by the entropy rule
	if got, _ := r.maskString("id " + kept[0]); got != "id ****" {
		t.Errorf("free text: %q", got)
	}
}
