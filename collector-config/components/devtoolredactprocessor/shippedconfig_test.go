package devtoolredactprocessor

import (
	"fmt"
	"strconv"
	"strings"
)

// parseShippedConfig reads the devtool_redact block of a generated collector config: just enough YAML for
// the shapes the generator writes (scalars, one-line flow lists, `- when: [...]` / `pattern:` pairs).
func parseShippedConfig(yaml string) (*Config, error) {
	lines := strings.Split(yaml, "\n")
	i := 0
	for i < len(lines) && strings.TrimRight(lines[i], " ") != "  devtool_redact:" {
		i++
	}
	if i == len(lines) {
		return nil, fmt.Errorf("no devtool_redact block")
	}
	cfg := &Config{}
	section := ""
	for i++; i < len(lines); i++ {
		raw := lines[i]
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		if indent <= 2 {
			break
		}
		key, val, _ := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		if indent == 4 {
			section = key
		}
		switch {
		case indent == 4 && key == "mask":
			cfg.Mask = unquote(val)
		case indent == 4 && key == "path_placeholder":
			cfg.PathPlaceholder = unquote(val)
		case indent == 4 && key == "drop_keys":
			cfg.DropKeys = flowList(val)
		case indent == 4 && key == "mask_keys_containing":
			cfg.MaskKeysContaining = flowList(val)
		case indent == 4 && key == "entropy":
			cfg.Entropy = &EntropyConfig{}
		case section == "allowed_keys" && key == "enabled":
			cfg.AllowedKeys.Enabled = val == "true"
		case section == "allowed_keys" && key == "extra_patterns":
			cfg.AllowedKeys.ExtraPatterns = flowList(val)
		case section == "allowed_keys" && key == "extra":
			cfg.AllowedKeys.Extra = flowList(val)
		case section == "entropy":
			n, _ := strconv.ParseFloat(val, 64)
			e := cfg.Entropy
			switch key {
			case "min_length":
				e.MinLength = int(n)
			case "min_run":
				e.MinRun = int(n)
			case "min_letters":
				e.MinLetters = int(n)
			case "mixed_switch_ratio":
				e.MixedSwitchRatio = n
			case "no_digit_min_core":
				e.NoDigitMinCore = int(n)
			case "no_digit_switch_ratio":
				e.NoDigitSwitchRatio = n
			case "single_kind_run":
				e.SingleKindRun = int(n)
			case "hex_min_length":
				e.HexMinLength = int(n)
			default:
				return nil, fmt.Errorf("unknown entropy setting %q", key)
			}
		case section == "rules" && strings.HasPrefix(line, "- when:"):
			cfg.Rules = append(cfg.Rules, Rule{When: flowList(strings.TrimSpace(strings.TrimPrefix(line, "- when:")))})
		case section == "rules" && key == "pattern":
			cfg.Rules[len(cfg.Rules)-1].Pattern = unquote(strings.TrimSpace(strings.TrimPrefix(line, "pattern:")))
		}
	}
	return cfg, nil
}

// unquote: a YAML single-quoted scalar as the collector sees it (`”` is `'`, `$$` is `$`).
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		v = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	}
	return strings.ReplaceAll(v, "$$", "$")
}

func flowList(v string) []string {
	v = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "["), "]")
	if v == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ", ") {
		out = append(out, unquote(strings.TrimSpace(p)))
	}
	return out
}
