// Package devtoolredactprocessor masks secrets and personal data by value in every string a record
// carries: resource, scope, span, span event, span link, data point, exemplar and log attributes (nested
// arrays and maps too), span and event names, status messages and log bodies. Attributes whose KEY matches
// a rule are removed.
//
// It does what the contrib redaction processor's blocked_values do, but fast: each rule names the cheap
// features a value must have for the rule's regex to possibly match ("at": contains '@', "colon", ...).
// One pass over the bytes computes the features of a value; a rule's regex runs only when the value has
// one of them. Most values (command names, enums, versions, model names) run no regex at all, which is what
// keeps the collector's privacy processors within 2x of a batch-only pipeline. A rule without `when` runs
// on every value. Features must be NECESSARY conditions of a match, or the rule can miss.
package devtoolredactprocessor // import "github.com/devtool-telemetry/devtool-telemetry/collector-config/components/devtoolredactprocessor"

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Rule is one value pattern (Go RE2) with the features that gate it.
type Rule struct {
	// Pattern is a Go RE2 regular expression; every match is replaced by Mask.
	Pattern string `mapstructure:"pattern"`
	// When lists necessary conditions for Pattern to match; Pattern runs only when every entry holds.
	// Each entry is a '|'-separated list of alternatives (any of them): a feature name, `lit:<text>`
	// (the value contains text) or `ilit:<text>` (contains it, ASCII case-insensitive). Features:
	// at ('@'), colon (':'), colons5 (5+ ':'), ipv6ish ("::" or 7+ ':'), question ('?'),
	// backslash ('\'), space (ASCII whitespace), dots3 (3+ '.'), longrun (13+ consecutive
	// [A-Za-z0-9_-]), dashes5 ("-----"), home ("/home", "/Users", "/root" or ":\").
	// Empty: always run.
	When []string `mapstructure:"when"`
}

// Config of the devtool_redact processor.
type Config struct {
	Rules []Rule `mapstructure:"rules"`
	// Mask replaces every match. Default "****".
	Mask string `mapstructure:"mask"`
	// DropKeysMatching removes attributes whose key matches a rule (default true).
	DropKeysMatching *bool `mapstructure:"drop_keys_matching"`
	// SpanNames masks span and span event names (default true).
	SpanNames *bool `mapstructure:"span_names"`
	// LogBodies masks log record bodies (default true).
	LogBodies *bool `mapstructure:"log_bodies"`
	// DropKeys: attributes whose key matches one of these Go RE2 regexes are removed (identifying keys such
	// as host.name or process.command_args). Decided once per distinct key (cached), so they cost nothing
	// per record.
	DropKeys []string `mapstructure:"drop_keys"`
	// MaskKeysContaining: attributes whose key contains one of these substrings (case-insensitive), e.g.
	// "password", "api_key", "authorization", keep their key but their whole value is replaced by Mask.
	MaskKeysContaining []string `mapstructure:"mask_keys_containing"`

	_ struct{}
}

const (
	featAt uint16 = 1 << iota
	featColon
	featQuestion
	featBackslash
	featSpace
	featDots3
	featLongRun
	featDashes5
	featHome
	featColons5
	featIPv6ish
)

var featureNames = map[string]uint16{
	"at":        featAt,
	"colon":     featColon,
	"question":  featQuestion,
	"backslash": featBackslash,
	"space":     featSpace,
	"dots3":     featDots3,
	"longrun":   featLongRun,
	"dashes5":   featDashes5,
	"home":      featHome,
	"colons5":   featColons5,
	"ipv6ish":   featIPv6ish,
}

type condGroup struct {
	feats uint16
	lits  []string
	ilits []string
}

func parseCond(entry string) (condGroup, error) {
	var g condGroup
	for _, alt := range strings.Split(entry, "|") {
		switch {
		case strings.HasPrefix(alt, "lit:") && len(alt) > 4:
			g.lits = append(g.lits, alt[4:])
		case strings.HasPrefix(alt, "ilit:") && len(alt) > 5:
			g.ilits = append(g.ilits, strings.ToLower(alt[5:]))
		default:
			f, ok := featureNames[alt]
			if !ok {
				return g, fmt.Errorf("unknown condition %q", alt)
			}
			g.feats |= f
		}
	}
	return g, nil
}

// Validate checks the patterns and feature names.
func (c *Config) Validate() error {
	if len(c.Rules) == 0 && len(c.DropKeys) == 0 {
		return errors.New("rules or drop_keys: at least one is required")
	}
	for i, k := range c.DropKeys {
		if _, err := regexp.Compile(k); err != nil {
			return fmt.Errorf("drop_keys[%d]: %w", i, err)
		}
	}
	for i, r := range c.Rules {
		if _, err := regexp.Compile(r.Pattern); err != nil {
			return fmt.Errorf("rules[%d].pattern: %w", i, err)
		}
		for _, w := range r.When {
			if _, err := parseCond(w); err != nil {
				return fmt.Errorf("rules[%d].when: %w", i, err)
			}
		}
	}
	return nil
}
