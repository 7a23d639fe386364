package devtoolredactprocessor

import (
	"regexp"
	"strings"
)

// The rule for secrets with no known prefix: a token (a run of [A-Za-z0-9+/_.~-]) that looks random, and
// hex ids and uuids, in free text. A port of judgeToken/looksRandom in src/privacy/patterns.ts, with the
// thresholds rendered from the one rules source (src/privacy/secret-rules.json); both sides run
// test/fixtures/secrets/shared-vectors.json. Hex is judged as an id, never as entropy, so a field where hex
// is legitimate (W3C traceState) skips the hex rule and keeps its ids.

func isTokenByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' ||
		c == '+' || c == '/' || c == '_' || c == '-' || c == '.' || c == '~'
}

// charClass: 0 lower, 1 upper, 2 digit, -1 separator.
func charClass(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return 0
	case c >= 'A' && c <= 'Z':
		return 1
	case c >= '0' && c <= '9':
		return 2
	}
	return -1
}

func (e *EntropyConfig) looksRandom(t string) bool {
	n := len(t)
	if n < e.MinLength {
		return false
	}
	core, switches, prev, digits, longest, run := 0, 0, -1, 0, 0, 0
	for i := 0; i < n; i++ {
		k := charClass(t[i])
		if k < 0 {
			// `+` and `/` are base64's own letters: they do not end a run (a 40-character AWS secret
			// split by them into runs of 11 is one random run); other separators do.
			prev = -1
			if t[i] != '+' && t[i] != '/' {
				run = 0
			}
			continue
		}
		core++
		run++
		if run > longest {
			longest = run
		}
		if k == 2 {
			digits++
		}
		if prev >= 0 && prev != k {
			switches++
		}
		prev = k
	}
	if core < e.MinLength || longest < e.MinRun {
		return false
	}
	letters := core - digits
	ratio := float64(switches) / float64(core)
	if digits >= 1 && letters >= e.MinLetters {
		return ratio >= e.MixedSwitchRatio
	}
	if digits == 0 && core >= e.NoDigitMinCore {
		return ratio >= e.NoDigitSwitchRatio
	}
	return longest >= e.SingleKindRun && switches == 0
}

func isHexString(t string) (ok, digit, letter bool) {
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			letter = true
		default:
			return false, false, false
		}
	}
	return true, digit, letter
}

func isUUID(t string) bool {
	if len(t) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := t[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// isIDValue: what an id key (catalog rule `id`) may hold: a uuid, or a hex id of 16 to 64 digits. The SDK
// sends uuids and 128-bit hex; other SDKs' instance ids are often 64-bit hex, and they key cumulative metric
// streams, so they are kept too. Anything else (a host or pod name, free text) is dropped.
func isIDValue(t string) bool {
	if isUUID(t) {
		return true
	}
	ok, _, _ := isHexString(t)
	return ok && len(t) >= 16 && len(t) <= 64
}

// maxOpaqueID: the catalog's opaqueId length (src/privacy/catalog.ts, gen_ai.tool.call.id).
const maxOpaqueID = 128

// isOpaqueIDShape: the SDK's id charset (rules.ts WORD_RE): a letter or digit, then letters, digits and `_ . - :`.
func isOpaqueIDShape(t string) bool {
	if t == "" || len(t) > maxOpaqueID {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || (c != '_' && c != '.' && c != '-' && c != ':')) {
			return false
		}
	}
	return true
}

// credentialWord: a label naming a credential (`token_`, `apikey-`) labels a secret, not an id (rules.ts CREDENTIAL_WORD_RE).
var credentialWord = regexp.MustCompile(`(?i)pass|pwd|secret|token|key|auth|cred|session|cookie|sig`)

// hasIDLabel: 2-16 letters, then `_` or `-`, not a credential word (rules.ts ID_LABEL_RE).
func hasIDLabel(t string) bool {
	n := 0
	for n < len(t) && n <= 16 && (t[n] >= 'a' && t[n] <= 'z' || t[n] >= 'A' && t[n] <= 'Z') {
		n++
	}
	if n < 2 || n > 16 || n >= len(t) || (t[n] != '_' && t[n] != '-') {
		return false
	}
	return !credentialWord.MatchString(t[:n])
}

// judge reports whether one token must be masked. hexIDs: hex ids and uuids count (free text).
func (e *EntropyConfig) judge(t string, hexIDs bool) bool {
	n := len(t)
	if isUUID(t) {
		return hexIDs
	}
	if n >= e.HexMinLength {
		if ok, d, l := isHexString(t); ok {
			return hexIDs && d && l
		}
	}
	return e.looksRandom(t)
}

// maskTokens masks the tokens of s that judge selects; a token with `/` that is not random as a whole
// (or starts like a path) is judged per segment, so `/api/keys/<key>` keeps its shape.
func (e *EntropyConfig) maskTokens(s, mask string, hexIDs bool) (string, bool) {
	var b strings.Builder
	last, n := 0, len(s)
	for i := 0; i < n; {
		if !isTokenByte(s[i]) {
			i++
			continue
		}
		start := i
		for i < n && isTokenByte(s[i]) {
			i++
		}
		// our own placeholders ({path}, {id}) are left alone
		if start > 0 && s[start-1] == '{' && i < n && s[i] == '}' {
			continue
		}
		if i-start < 2 {
			continue
		}
		tok := s[start:i]
		hit := e.judge(tok, hexIDs)
		repl := mask
		if strings.IndexByte(tok, '/') >= 0 && (!hit || tok[0] == '/' || tok[0] == '.' || tok[0] == '~') {
			segs := strings.Split(tok, "/")
			changed := false
			for k, seg := range segs {
				if len(seg) >= 2 && e.judge(seg, hexIDs) {
					segs[k] = mask
					changed = true
				}
			}
			hit = changed
			repl = strings.Join(segs, "/")
		}
		if hit {
			b.WriteString(s[last:start])
			b.WriteString(repl)
			last = i
		}
	}
	if last == 0 {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}
