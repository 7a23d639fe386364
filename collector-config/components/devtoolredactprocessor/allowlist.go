package devtoolredactprocessor

import (
	_ "embed"
	"regexp"
	"strings"
)

// The registry of attribute names the collector accepts: the official conventions we use and our own
// names, generated from the SDK's one catalog (src/privacy/catalog.ts) by scripts/collector-config-gen.mjs
// into allowed-keys.txt (one `key kind` a line; kind is the catalog's value rule). A drift test regenerates
// it. Operators widen it with allowed_keys.extra / extra_patterns.
//
//go:embed allowed-keys.txt
var builtinAllowedKeys string

// keyKind: what the registry says about a key's values.
type keyKind uint8

const (
	kindText     keyKind = iota // every value rule applies
	kindID                      // a random id: a uuid or hex id, nothing else (the SDK's `id` rule; see isIDValue)
	kindURLPath                 // a URL path or route: not a file path, the path rule does not apply
	kindOpaqueID                // an id another system issued (tool-call ids): id charset, every rule but entropy (the SDK's `opaqueId`)
)

type allowlist struct {
	keys     map[string]keyKind
	patterns []*regexp.Regexp
}

func parseAllowedKeys(text string, into map[string]keyKind) {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, kind, _ := strings.Cut(line, " ")
		switch strings.TrimSpace(kind) {
		case "id":
			into[key] = kindID
		case "urlPath":
			into[key] = kindURLPath
		case "opaqueId":
			into[key] = kindOpaqueID
		default:
			into[key] = kindText
		}
	}
}

func newAllowlist(c AllowedKeysConfig) (*allowlist, error) {
	if !c.Enabled {
		return nil, nil
	}
	a := &allowlist{keys: map[string]keyKind{}}
	if boolOr(c.Builtin, true) {
		parseAllowedKeys(builtinAllowedKeys, a.keys)
	}
	for _, k := range c.Extra {
		if _, ok := a.keys[k]; !ok {
			a.keys[k] = kindText
		}
	}
	for _, p := range c.ExtraPatterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, err
		}
		a.patterns = append(a.patterns, re)
	}
	return a, nil
}

// lookup: whether key is accepted, and its kind.
func (a *allowlist) lookup(key string) (keyKind, bool) {
	if k, ok := a.keys[key]; ok {
		return k, true
	}
	for _, re := range a.patterns {
		if re.MatchString(key) {
			return kindText, true
		}
	}
	return kindText, false
}
