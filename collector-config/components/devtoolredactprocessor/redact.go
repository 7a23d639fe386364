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
	rules     []compiledRule
	mask      string
	dropKeys  bool
	spanNames bool
	logBodies bool
	maskKeys  []string // lower case
	keyRegexps []*regexp.Regexp

	// verdicts per attribute key (keys repeat: a few hundred distinct ones in practice); bounded
	mu       sync.RWMutex
	keyCache map[string]keyVerdict
}

type keyVerdict uint8

const (
	keyKeep keyVerdict = iota
	keyDrop
	keyMaskValue
)

const maxKeyCache = 20000

func newRedactor(cfg *Config) (*redactor, error) {
	r := &redactor{mask: cfg.Mask, dropKeys: boolOr(cfg.DropKeysMatching, true), spanNames: boolOr(cfg.SpanNames, true), logBodies: boolOr(cfg.LogBodies, true)}
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
	dots, run, dashes, colons := 0, 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
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

// maskString returns s with every rule match replaced by the mask.
func (r *redactor) maskString(s string) (string, bool) {
	if s == "" {
		return s, false
	}
	f := features(s)
	changed := false
	for i := range r.rules {
		rule := &r.rules[i]
		if !rule.applies(s, f) {
			continue
		}
		if rule.re.MatchString(s) {
			s = rule.re.ReplaceAllLiteralString(s, r.mask)
			changed = true
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

func (r *redactor) computeKeyVerdict(k string) keyVerdict {
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
	if len(r.maskKeys) > 0 {
		lk := strings.ToLower(k)
		for _, m := range r.maskKeys {
			if strings.Contains(lk, m) {
				return keyMaskValue
			}
		}
	}
	return keyKeep
}

func (r *redactor) value(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if s, changed := r.maskString(v.Str()); changed {
			v.SetStr(s)
		}
	case pcommon.ValueTypeSlice:
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			r.value(sl.At(i))
		}
	case pcommon.ValueTypeMap:
		r.attrs(v.Map())
	}
}

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
		default:
			r.value(v)
		}
	}
	if dropped {
		m.RemoveIf(func(k string, _ pcommon.Value) bool { return r.keyVerdict(k) == keyDrop })
	}
}
