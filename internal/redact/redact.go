// Package redact masks API keys and tokens before they reach a log line, an
// error message or an HTTP answer.
package redact

import (
	"regexp"
	"strings"
)

// Key masks a secret for display: the first four and last four characters
// joined by an ellipsis ("AIza…x1Yz"). Secrets of twelve characters or fewer
// keep only their first two characters, so short test tokens never show
// whole.
func Key(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 12 {
		if len(s) <= 2 {
			return "…"
		}
		return s[:2] + "…"
	}
	return s[:4] + "…" + s[len(s)-4:]
}

// Patterns of secrets that may appear inside free text: Google API keys,
// Vertex express keys and OpenAI-style tokens, and "key=" query values.
var secretRE = regexp.MustCompile(`AIza[0-9A-Za-z_\-]{20,}|AQ\.[0-9A-Za-z_\-]{20,}|sk-[0-9A-Za-z_\-]{16,}|([?&](?:key|api_key|access_token)=)[^&\s"']+`)

// Text masks every secret found in s by pattern, plus each of the given
// known secrets wherever it occurs. It is meant for error messages and log
// lines built from upstream or client text.
func Text(s string, known ...string) string {
	for _, k := range known {
		if len(k) < 4 {
			continue
		}
		// Masks of overlapping occurrences can rebuild the secret from
		// their remains (think "0000…0000"), so repeat, and fall back to
		// removing it outright.
		for i := 0; i < 8 && strings.Contains(s, k); i++ {
			s = strings.ReplaceAll(s, k, Key(k))
		}
		for i := 0; i < 8 && strings.Contains(s, k); i++ {
			s = strings.ReplaceAll(s, k, "")
		}
	}
	if !secretRE.MatchString(s) {
		return s
	}
	return secretRE.ReplaceAllStringFunc(s, func(m string) string {
		if i := strings.IndexByte(m, '='); i > 0 && (m[0] == '?' || m[0] == '&') {
			return m[:i+1] + Key(m[i+1:])
		}
		return Key(m)
	})
}
