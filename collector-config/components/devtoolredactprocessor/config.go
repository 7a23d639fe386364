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
//
// A rule's regex may name a group `pre` (and `post`): what they match is kept around the mask, which is how
// the rules rendered from src/privacy/secret-rules.json express the SDK's "not preceded by a letter or
// digit" without lookbehind. Besides the regex rules: file-system paths are replaced whole (paths.go),
// long random-looking tokens, hex ids and uuids are masked (entropy.go), and, with allowed_keys, attributes
// whose key is not in the registry of accepted names are dropped (allowlist.go).
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
	// [A-Za-z0-9_-]), tokenrun (15+ consecutive [A-Za-z0-9_.=+/-]: every secret token with a known prefix),
	// dashes5 ("-----"), home ("/home", "/Users", "/root" or ":\").
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
	// AllowedKeys: attributes whose key is not in the registry of accepted names are dropped.
	AllowedKeys AllowedKeysConfig `mapstructure:"allowed_keys"`
	// Entropy: the rule for long random-looking tokens with no known prefix, and for hex ids and uuids
	// in free text (thresholds rendered from src/privacy/secret-rules.json, shared with the SDK).
	// Absent: no entropy rule.
	Entropy *EntropyConfig `mapstructure:"entropy"`
	// PathPlaceholder replaces every file-system path token (absolute, home, Windows, UNC, `../`, or
	// relative with 3+ separators) in free text, whole. Empty: paths are not replaced.
	PathPlaceholder string `mapstructure:"path_placeholder"`

	_ struct{}
}

// AllowedKeysConfig: the registry of attribute names the collector accepts.
type AllowedKeysConfig struct {
	// Enabled drops every attribute (resource, scope, span, event, link, data point, exemplar, log,
	// metric metadata) whose key is not accepted. Default false in code; the shipped configs enable it.
	Enabled bool `mapstructure:"enabled"`
	// Builtin adds the registry generated from the SDK's catalog (allowed-keys.txt, embedded). Default true.
	Builtin *bool `mapstructure:"builtin"`
	// Extra: further exact key names an operator accepts (their values still pass every value rule).
	Extra []string `mapstructure:"extra"`
	// ExtraPatterns: further Go RE2 regexes (anchor them) for accepted keys, e.g. '^mytool\.[a-z_.]+$'.
	ExtraPatterns []string `mapstructure:"extra_patterns"`
}

// EntropyConfig: thresholds of looksRandom (same names as secret-rules.json's `entropy`).
type EntropyConfig struct {
	MinLength          int     `mapstructure:"min_length"`
	MinRun             int     `mapstructure:"min_run"`
	MinLetters         int     `mapstructure:"min_letters"`
	MixedSwitchRatio   float64 `mapstructure:"mixed_switch_ratio"`
	NoDigitMinCore     int     `mapstructure:"no_digit_min_core"`
	NoDigitSwitchRatio float64 `mapstructure:"no_digit_switch_ratio"`
	SingleKindRun      int     `mapstructure:"single_kind_run"`
	// HexMinLength: hex runs at least this long (with a digit and a letter) are masked in free text.
	HexMinLength int `mapstructure:"hex_min_length"`
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
	featTokenRun
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
	"tokenrun":  featTokenRun,
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
	if len(c.Rules) == 0 && len(c.DropKeys) == 0 && !c.AllowedKeys.Enabled {
		return errors.New("rules, drop_keys or allowed_keys: at least one is required")
	}
	for i, k := range c.DropKeys {
		if _, err := regexp.Compile(k); err != nil {
			return fmt.Errorf("drop_keys[%d]: %w", i, err)
		}
	}
	for i, k := range c.AllowedKeys.ExtraPatterns {
		if _, err := regexp.Compile(k); err != nil {
			return fmt.Errorf("allowed_keys.extra_patterns[%d]: %w", i, err)
		}
	}
	if e := c.Entropy; e != nil && (e.MinLength < 8 || e.MinRun < 1 || e.HexMinLength < 8) {
		return errors.New("entropy: min_length and hex_min_length must be at least 8, min_run at least 1")
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
