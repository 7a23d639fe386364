package devtoolredactprocessor

import (
	"regexp"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

type compiledRule struct {
	re     *regexp.Regexp
	groups []condGroup // all must hold; none: always run
	// repl: the replacement template when the regex has `pre`/`post` groups (kept around the mask);
	// empty: the whole match is replaced by the mask literally.
	repl string
}

// replace masks every match of the rule in s. With `pre`/`post` groups, a match can consume the
// character the next match needs as its `pre`: repeat (bounded) until nothing changes.
func (c *compiledRule) replace(s, mask string) string {
	if c.repl == "" {
		return c.re.ReplaceAllLiteralString(s, mask)
	}
	for i := 0; i < 4; i++ {
		next := c.re.ReplaceAllString(s, c.repl)
		if next == s {
			break
		}
		s = next
	}
	return s
}

// applies reports whether every necessary condition of the rule holds for s (features f).
func (c *compiledRule) applies(s string, f uint16) bool {
	for i := range c.groups {
		g := &c.groups[i]
		if g.feats&f != 0 {
			continue
		}
		ok := false
		for _, l := range g.lits {
			if strings.Contains(s, l) {
				ok = true
				break
			}
		}
		if !ok {
			for _, l := range g.ilits {
				if containsFold(s, l) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// containsFold: ASCII case-insensitive substring test; lower is already lower case. No allocation.
func containsFold(s, lower string) bool {
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

type redactor struct {
	rules      []compiledRule
	mask       string
	dropKeys   bool
	spanNames  bool
	logBodies  bool
	maskKeys   []string // lower case
	keyRegexps []*regexp.Regexp
	allow      *allowlist     // nil: every key not dropped otherwise is kept
	entropy    *EntropyConfig // nil: no entropy / hex id rule
	pathPH     string         // "": paths are not replaced

	// verdicts per attribute key (keys repeat: a few hundred distinct ones in practice); bounded
	mu       sync.RWMutex
	keyCache map[string]keyVerdict
}

type keyVerdict uint8

const (
	keyKeep keyVerdict = iota
	keyDrop
	keyMaskValue
	keyID       // accepted id key: a uuid or hex id is kept as is, anything else is dropped
	keyURLPath  // accepted URL path key: every rule but the file-path rule
	keyOpaqueID // accepted opaque id key: kept whole when it is id-shaped and no rule but entropy touches it, else dropped
)

// scanMode: which rules apply to a string, by the field it travels in.
type scanMode uint8

const (
	modeText       scanMode = iota // free text: every rule
	modeIdent                      // identifiers (scope name/version, metric name/unit, schema URLs, severity, event name): no path rule
	modeTraceState                 // W3C tracestate: no path rule, hex ids are legitimate there
	modeURLPath                    // URL paths and routes: no file-path rule
	modeOpaqueID                   // ids issued by another system: no path rule, no entropy / hex id rule
)

const maxKeyCache = 20000

func newRedactor(cfg *Config) (*redactor, error) {
	r := &redactor{mask: cfg.Mask, dropKeys: boolOr(cfg.DropKeysMatching, true), spanNames: boolOr(cfg.SpanNames, true), logBodies: boolOr(cfg.LogBodies, true), entropy: cfg.Entropy, pathPH: cfg.PathPlaceholder}
	allow, err := newAllowlist(cfg.AllowedKeys)
	if err != nil {
		return nil, err
	}
	r.allow = allow
	if r.mask == "" {
		r.mask = "****"
	}
	for _, k := range cfg.MaskKeysContaining {
		r.maskKeys = append(r.maskKeys, strings.ToLower(k))
	}
	r.keyCache = make(map[string]keyVerdict)
	for _, k := range cfg.DropKeys {
		re, err := regexp.Compile(k)
		if err != nil {
			return nil, err
		}
		r.keyRegexps = append(r.keyRegexps, re)
	}
	for _, rule := range cfg.Rules {
		re, err := regexp.Compile(rule.Pattern)
		if err != nil {
			return nil, err
		}
		cr := compiledRule{re: re}
		if pre, post := re.SubexpIndex("pre") >= 0, re.SubexpIndex("post") >= 0; pre || post {
			m := strings.ReplaceAll(r.mask, "$", "$$")
			if pre {
				m = "${pre}" + m
			}
			if post {
				m += "${post}"
			}
			cr.repl = m
		}
		for _, w := range rule.When {
			g, err := parseCond(w)
			if err != nil {
				return nil, err
			}
			cr.groups = append(cr.groups, g)
		}
		r.rules = append(r.rules, cr)
	}
	return r, nil
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

func isRunByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// features computes, in one pass, the cheap properties the rules are gated on.
func features(s string) uint16 {
	var f uint16
	dots, run, dashes, colons, tok := 0, 0, 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isRunByte(c) || c == '.' || c == '=' || c == '+' || c == '/' {
			tok++
			if tok >= 15 {
				f |= featTokenRun
			}
		} else {
			tok = 0
		}
		if isRunByte(c) {
			run++
			if run >= 13 {
				f |= featLongRun
			}
		} else {
			run = 0
		}
		if c == '-' {
			dashes++
			if dashes >= 5 {
				f |= featDashes5
			}
		} else {
			dashes = 0
		}
		switch c {
		case '@':
			f |= featAt
		case ':':
			f |= featColon
			colons++
			if colons >= 5 {
				f |= featColons5
			}
			if colons >= 7 {
				f |= featIPv6ish
			}
			if i+1 < len(s) {
				switch s[i+1] {
				case '\\':
					f |= featHome
				case ':':
					f |= featIPv6ish
				}
			}
		case '?':
			f |= featQuestion
		case '\\':
			f |= featBackslash
		case ' ', '\t', '\n', '\r', '\f', '\v':
			f |= featSpace
		case '.':
			dots++
			if dots >= 3 {
				f |= featDots3
			}
		case '/':
			rest := s[i+1:]
			if strings.HasPrefix(rest, "home") || strings.HasPrefix(rest, "Users") || strings.HasPrefix(rest, "root") {
				f |= featHome
			}
		}
	}
	return f
}

// maskString returns s with every rule match replaced by the mask (free text: every rule).
func (r *redactor) maskString(s string) (string, bool) { return r.maskStringMode(s, modeText) }

// maskStringMode applies the rules that apply in mode: the regex rules (gated), then paths, then the
// entropy rule (last, so tokens already masked are not judged again).
func (r *redactor) maskStringMode(s string, mode scanMode) (string, bool) {
	if s == "" {
		return s, false
	}
	changed := false
	if r.pathPH != "" && mode == modeText {
		if out, ok := replacePaths(s, r.pathPH); ok {
			s, changed = out, true
		}
	}
	f := features(s)
	for i := range r.rules {
		rule := &r.rules[i]
		if !rule.applies(s, f) {
			continue
		}
		if rule.re.MatchString(s) {
			s = rule.replace(s, r.mask)
			changed = true
		}
	}
	if r.entropy != nil && mode != modeOpaqueID {
		if out, ok := r.entropy.maskTokens(s, r.mask, mode != modeTraceState); ok {
			s, changed = out, true
		}
	}
	return s, changed
}

// keyVerdict decides what to do with an attribute by its key alone (cached).
func (r *redactor) keyVerdict(k string) keyVerdict {
	r.mu.RLock()
	v, ok := r.keyCache[k]
	r.mu.RUnlock()
	if ok {
		return v
	}
	v = r.computeKeyVerdict(k)
	r.mu.Lock()
	if len(r.keyCache) < maxKeyCache {
		r.keyCache[k] = v
	}
	r.mu.Unlock()
	return v
}

// bodyKeyVerdict: the verdict for a key inside a log body (not held to the registry).
func (r *redactor) bodyKeyVerdict(k string) keyVerdict {
	v := r.computeKeyVerdictWith(k, nil)
	if v == keyDrop || v == keyMaskValue {
		return v
	}
	return keyKeep
}

func (r *redactor) computeKeyVerdict(k string) keyVerdict { return r.computeKeyVerdictWith(k, r.allow) }

func (r *redactor) computeKeyVerdictWith(k string, allow *allowlist) keyVerdict {
	for _, re := range r.keyRegexps {
		if re.MatchString(k) {
			return keyDrop
		}
	}
	if r.dropKeys {
		f := features(k)
		for i := range r.rules {
			rule := &r.rules[i]
			if !rule.applies(k, f) {
				continue
			}
			if rule.re.MatchString(k) {
				return keyDrop
			}
		}
	}
	kind := kindText
	if allow != nil {
		var ok bool
		if kind, ok = allow.lookup(k); !ok {
			return keyDrop
		}
	}
	if len(r.maskKeys) > 0 {
		lk := strings.ToLower(k)
		for _, m := range r.maskKeys {
			if strings.Contains(lk, m) {
				return keyMaskValue
			}
		}
	}
	switch kind {
	case kindID:
		return keyID
	case kindURLPath:
		return keyURLPath
	case kindOpaqueID:
		return keyOpaqueID
	}
	return keyKeep
}

// opaqueIDOK: an opaque id value is kept only whole (the SDK's opaqueId rule): a string of the id shape
// that no rule but the entropy rule would change (a key, e-mail or IP is dropped), and when the entropy
// rule would mask it (random-looking, as issued ids are), only under a plain word label (`call_`, `toolu_`):
// a bare random token is indistinguishable from a key.
func (r *redactor) opaqueIDOK(v pcommon.Value) bool {
	s := v.Str()
	if v.Type() != pcommon.ValueTypeStr || !isOpaqueIDShape(s) {
		return false
	}
	if _, changed := r.maskStringMode(s, modeOpaqueID); changed {
		return false
	}
	if r.entropy == nil {
		return true
	}
	if _, random := r.entropy.maskTokens(s, r.mask, true); !random {
		return true
	}
	return isUUID(s) || hasIDLabel(s)
}

func (r *redactor) value(v pcommon.Value) { r.valueMode(v, modeText) }

func (r *redactor) valueMode(v pcommon.Value, mode scanMode) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if s, changed := r.maskStringMode(v.Str(), mode); changed {
			v.SetStr(s)
		}
	case pcommon.ValueTypeSlice:
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			r.valueMode(sl.At(i), mode)
		}
	case pcommon.ValueTypeMap:
		r.attrs(v.Map())
	case pcommon.ValueTypeBytes:
		// opaque bytes can hold anything and no rule can read them
		v.SetStr(r.mask)
	}
}

// attrs applies the key verdicts and the value rules to an attribute map (and to maps nested in it: the
// registry applies to their keys too, since nothing in it has a map value).
func (r *redactor) attrs(m pcommon.Map) {
	if m.Len() == 0 {
		return
	}
	dropped := false
	for k, v := range m.All() {
		switch r.keyVerdict(k) {
		case keyDrop:
			dropped = true
		case keyMaskValue:
			v.SetStr(r.mask)
		case keyID:
			// an id key holds random ids only (uuid or hex, see isIDValue); anything else is removed below
			if v.Type() != pcommon.ValueTypeStr || !isIDValue(v.Str()) {
				dropped = true
			}
		case keyURLPath:
			r.valueMode(v, modeURLPath)
		case keyOpaqueID:
			if !r.opaqueIDOK(v) {
				dropped = true
			}
		default:
			r.value(v)
		}
	}
	if dropped {
		m.RemoveIf(func(k string, v pcommon.Value) bool {
			switch r.keyVerdict(k) {
			case keyDrop:
				return true
			case keyID:
				return v.Type() != pcommon.ValueTypeStr || !isIDValue(v.Str())
			case keyOpaqueID:
				return !r.opaqueIDOK(v)
			}
			return false
		})
	}
}

// body scans a log body: free content, so its map keys are not held to the registry, only to the
// identifying-key and credential-key rules.
func (r *redactor) body(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		m := v.Map()
		dropped := false
		for k, x := range m.All() {
			switch r.bodyKeyVerdict(k) {
			case keyDrop:
				dropped = true
			case keyMaskValue:
				x.SetStr(r.mask)
			default:
				r.body(x)
			}
		}
		if dropped {
			m.RemoveIf(func(k string, _ pcommon.Value) bool { return r.bodyKeyVerdict(k) == keyDrop })
		}
	case pcommon.ValueTypeSlice:
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			r.body(sl.At(i))
		}
	default:
		r.value(v)
	}
}
