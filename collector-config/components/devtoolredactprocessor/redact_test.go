package devtoolredactprocessor

import (
	"os"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The processor as shipped: its settings are read from the generated otel-collector.yaml (rules from
// secret-patterns.txt and from the one source shared with the SDK, src/privacy/secret-rules.json; entropy
// thresholds; path placeholder; allowed keys), so these tests check what users run.
func shippedConfig(t testing.TB) *Config {
	data, err := os.ReadFile("../../../otel-collector.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseShippedConfig(string(data))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newTestRedactor(t testing.TB, gated bool) *redactor {
	return newRedactorWith(t, gated, nil)
}

// newRedactorWith: the shipped settings, changed by edit (as an operator's config would).
func newRedactorWith(t testing.TB, gated bool, edit func(*Config)) *redactor {
	cfg := shippedConfig(t)
	if edit != nil {
		edit(cfg)
	}
	if !gated {
		for i := range cfg.Rules {
			cfg.Rules[i].When = nil
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r, err := newRedactor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var secrets = map[string]string{
	"email":    "mail alice.leak@example.com now",
	"ipv4":     "from 203.0.113.77:443",
	"ipv6":     "peer 2001:db8:dead:beef::77 and fe80::1 and ::1",
	"ipv6full": "2001:0db8:0000:0000:0000:ff00:0042:8329",
	"mac":      "nic 00:1A:2B:3C:4D:5E",
	"bearer":   "Authorization: Bearer tok3nLEAKabcdef123456",
	"jwt":      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlTEVBSw",
	"openai":   "key=sk-proj-LEAKabcdef0123456789XYZ",
	"github":   "ghp_LEAK0123456789abcdefghijABCDEFGHIJ",
	"aws":      "AKIALEAK0123456789AB",
	"urlcreds": "https://leakuser:leakpass@git.example.org/org/repo.git",
	"nopfx":    "token Zx9Qm2Lp7Rt4Vb8Nc3Kd6Hf1Jg5Ws0Ea here",
	"vendor":   "hf_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6 and tvly-a1B2c3D4e5F6g7H8i9J0",
	"query":    "https://api.example.org/v1/items/4242?api_key=LEAKQUERY123&page=2",
	"home":     "open /home/leakyuser/projects/app/src/index.js failed",
	"windows":  `C:\Users\LeakyUser\proj\x.js`,
	"pem":      "-----BEGIN RSA PRIVATE KEY-----",
}

var needles = map[string][]string{
	"email": {"alice.leak"}, "ipv4": {"203.0.113.77"}, "ipv6": {"2001:db8", "fe80::1"}, "ipv6full": {"2001:0db8"},
	"mac": {"00:1A:2B"}, "bearer": {"tok3nLEAK"}, "jwt": {"eyJhbGci", "c2lnbmF0"}, "openai": {"LEAKabcdef"},
	"github": {"ghp_LEAK"}, "aws": {"AKIALEAK"}, "nopfx": {"Zx9Qm2Lp7Rt4"}, "vendor": {"hf_a1B2", "tvly-a1B2"}, "urlcreds": {"leakuser", "leakpass"}, "query": {"LEAKQUERY123"},
	"home": {"leakyuser", "projects/app"}, "windows": {"LeakyUser", "proj"}, "pem": {"PRIVATE KEY"},
}

var innocent = []string{
	"build", "success", "failure", "interrupted", "bench-tool build", "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
	"claude-sonnet-4-20250514", "openai", "chat", "POST", "POST /v1/chat/completions", "GET /api/users/{id}", "compile-1",
	"6.8.0-45-generic", "Ubuntu 24.04.1 LTS", "linux", "amd64", "x64", "nodejs", "20.19.43", "Node.js",
	"devtool-telemetry", "0.1.0", "github_actions", "none", "ENOENT",
	"TimeoutError", "std::fs::read", "12:34:56.789", "node_modules/@types/node", "pkg@1.2.3", "10.0.22631",
	"Linux 6.8.0-45-generic #45-Ubuntu SMP x86_64", "stop", "length", "tool_calls",
}

func TestMasksEverySecret(t *testing.T) {
	r := newTestRedactor(t, true)
	for kind, v := range secrets {
		got, changed := r.maskString(v)
		if !changed {
			t.Errorf("%s: not masked: %q", kind, v)
		}
		for _, n := range needles[kind] {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q survives in %q", kind, n, got)
			}
		}
	}
}

func TestKeepsInnocentValues(t *testing.T) {
	r := newTestRedactor(t, true)
	for _, v := range innocent {
		if got, changed := r.maskString(v); changed {
			t.Errorf("innocent value changed: %q -> %q", v, got)
		}
	}
}

// The features gating each rule must be necessary conditions: gated and ungated masking agree.
func TestGatingIsConservative(t *testing.T) {
	gated, full := newTestRedactor(t, true), newTestRedactor(t, false)
	var corpus []string
	for _, v := range secrets {
		corpus = append(corpus, v, "x "+v+" y", strings.ToUpper(v), strings.ToLower(v), "("+v+")", v+"."+v)
	}
	corpus = append(corpus, innocent...)
	for _, v := range corpus {
		a, _ := gated.maskString(v)
		b, _ := full.maskString(v)
		if a != b {
			t.Errorf("gating changes the result for %q: gated %q, ungated %q", v, a, b)
		}
	}
}

func FuzzGatingIsConservative(f *testing.F) {
	for _, v := range secrets {
		f.Add(v)
	}
	for _, v := range innocent {
		f.Add(v)
	}
	gated, full := newTestRedactor(f, true), newTestRedactor(f, false)
	f.Fuzz(func(t *testing.T, v string) {
		a, _ := gated.maskString(v)
		b, _ := full.maskString(v)
		if a != b {
			t.Errorf("gating changes the result for %q: gated %q, ungated %q", v, a, b)
		}
	})
}

func TestTracesEverywhere(t *testing.T) {
	// keys an operator accepted (allowed_keys.extra): their values still pass every rule
	r := newRedactorWith(t, true, func(c *Config) {
		c.AllowedKeys.Extra = []string{"note", "alice.leak@example.com", "db.password", "host.name", "args", "nested", "x", "m", "l"}
	})
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "tool")
	rs.Resource().Attributes().PutStr("note", secrets["email"])
	rs.Resource().Attributes().PutStr("alice.leak@example.com", "key carries it")
	rs.Resource().Attributes().PutStr("db.password", "hunter2")
	rs.Resource().Attributes().PutStr("host.name", "LEAKHOST")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("deploy " + secrets["home"])
	sp.Status().SetMessage(secrets["bearer"])
	sp.Attributes().PutEmptySlice("args").AppendEmpty().SetStr(secrets["aws"])
	sp.Attributes().PutEmptyMap("nested").PutStr("x", secrets["jwt"])
	sp.Attributes().PutInt("process.exit.code", 3)
	ev := sp.Events().AppendEmpty()
	ev.SetName("event " + secrets["ipv4"])
	ev.Attributes().PutStr("m", secrets["github"])
	sp.Links().AppendEmpty().Attributes().PutStr("l", secrets["openai"])
	if _, err := r.processTraces(t.Context(), td); err != nil {
		t.Fatal(err)
	}
	res := rs.Resource().Attributes()
	if v, _ := res.Get("service.name"); v.Str() != "tool" {
		t.Error("service.name changed")
	}
	if _, ok := res.Get("alice.leak@example.com"); ok {
		t.Error("attribute with a secret in its key kept")
	}
	if _, ok := res.Get("host.name"); ok {
		t.Error("drop_keys: host.name kept")
	}
	if v, _ := res.Get("db.password"); v.Str() != "****" {
		t.Errorf("credential key not masked: %q", v.Str())
	}
	if v, _ := sp.Attributes().Get("process.exit.code"); v.Int() != 3 {
		t.Error("int changed")
	}
	all := dump(td)
	for kind := range secrets {
		for _, n := range needles[kind] {
			if strings.Contains(all, n) {
				t.Errorf("%s needle %q survives: %s", kind, n, all)
			}
		}
	}
}

func dump(td ptrace.Traces) string {
	var b strings.Builder
	rs := td.ResourceSpans().At(0)
	b.WriteString(mapString(rs.Resource().Attributes()))
	sp := rs.ScopeSpans().At(0).Spans().At(0)
	b.WriteString(sp.Name() + sp.Status().Message() + mapString(sp.Attributes()))
	ev := sp.Events().At(0)
	b.WriteString(ev.Name() + mapString(ev.Attributes()) + mapString(sp.Links().At(0).Attributes()))
	return b.String()
}

func mapString(m pcommon.Map) string {
	var b strings.Builder
	for k, v := range m.All() {
		b.WriteString(k + "=" + v.AsString() + ";")
	}
	return b.String()
}

func BenchmarkInnocentSpanValues(b *testing.B) {
	r := newTestRedactor(b, true)
	for i := 0; i < b.N; i++ {
		for _, v := range innocent {
			r.maskString(v)
		}
	}
}
