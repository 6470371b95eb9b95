package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/geminibalance/gb/internal/redact"
)

// problem is a parse failure without the variable name; Load turns it into
// an *Error. When item is set the failure concerns one list entry or map
// key, shown instead of the whole value.
type problem struct {
	text    string
	item    string
	hasItem bool
}

func (p *problem) Error() string { return p.text }

func fail(format string, args ...any) error { return &problem{text: fmt.Sprintf(format, args...)} }

func failItem(item, format string, args ...any) error {
	return &problem{text: fmt.Sprintf(format, args...), item: item, hasItem: true}
}

// ParseList parses a list setting: a JSON array of strings, or values
// separated by commas (newlines also separate, for pasted key lists).
// Entries are trimmed and empty entries dropped; an empty or blank string
// is the empty list, returned as nil.
func ParseList(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var items []string
	if s[0] == '[' {
		var raw []any
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, fail("is not a valid JSON array (use [\"a\",\"b\"] or a,b)")
		}
		for _, v := range raw {
			str, ok := v.(string)
			if !ok {
				return nil, fail("is not a JSON array of strings")
			}
			items = append(items, str)
		}
	} else {
		items = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	}
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on", "t", "y":
		return true, nil
	case "false", "0", "no", "off", "f", "n":
		return false, nil
	}
	return false, fail("is not a boolean (expected true/false, 1/0, yes/no or on/off)")
}

func parseInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fail("is not a whole number")
	}
	if n < lo || n > hi {
		return 0, fail("is out of range (%s)", rangeText(lo, hi))
	}
	return n, nil
}

func rangeText(lo, hi int) string {
	switch {
	case hi == math.MaxInt:
		return fmt.Sprintf("expected %d or more", lo)
	default:
		return fmt.Sprintf("expected %d to %d", lo, hi)
	}
}

func parseFloat(s string, lo float64) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fail("is not a number")
	}
	if f < lo {
		return 0, fail("is out of range (expected %s or more)", formatFloat(lo))
	}
	return f, nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// parseHTTPURL checks an http(s) URL with a host and drops trailing slashes.
func parseHTTPURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fail("is not an http(s) URL (expected e.g. https://host/path)")
	}
	return strings.TrimRight(s, "/"), nil
}

func checkProxy(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return failItem(s, "is not a proxy URL (expected scheme://[user:pass@]host:port)")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "socks5", "socks5h":
		return nil
	}
	return failItem(s, "has an unsupported scheme (expected http, https, socks5 or socks5h)")
}

func parseLogLevel(s string) (string, error) {
	l := strings.ToUpper(strings.TrimSpace(s))
	switch l {
	case "WARN":
		return "WARNING", nil
	case "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL":
		return l, nil
	}
	return "", fail("is not a log level (expected DEBUG, INFO, WARNING, ERROR or CRITICAL)")
}

func parseDatabaseType(s string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t != "sqlite" && t != "mysql" {
		return "", fail("is not a database type (expected sqlite or mysql)")
	}
	return t, nil
}

func loadLocation(s string) (*time.Location, error) {
	loc, err := time.LoadLocation(strings.TrimSpace(s))
	if err != nil {
		return nil, fail("is not a known time zone (expected an IANA name such as Asia/Shanghai or UTC)")
	}
	return loc, nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

func parseHeaders(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fail("is not a JSON object (expected {\"Header-Name\": \"value\"})")
	}
	if len(raw) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		str, ok := v.(string)
		if !ok {
			return nil, failItem(k, "has a value that is not a string")
		}
		if !validHeaderName(k) {
			return nil, failItem(k, "is not a valid header name")
		}
		if strings.ContainsAny(str, "\r\n\x00") {
			return nil, failItem(k, "has a value containing a line break")
		}
		out[k] = str
	}
	return out, nil
}

func parseBudgetMap(s string) (map[string]float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		// gemini-balance retries with single quotes turned into double ones.
		if err2 := json.Unmarshal([]byte(strings.ReplaceAll(s, "'", `"`)), &raw); err2 != nil {
			return nil, fail("is not a JSON object of numbers (expected {\"model\": 1024})")
		}
	}
	if len(raw) == 0 {
		return nil, nil
	}
	out := make(map[string]float64, len(raw))
	for k, v := range raw {
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case string:
			var err error
			if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, failItem(k, "has a budget that is not a number")
			}
		default:
			return nil, failItem(k, "has a budget that is not a number")
		}
		out[k] = f
	}
	return out, nil
}

func parseSafety(s string) ([]SafetySetting, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var raw []SafetySetting
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fail(`is not a JSON array of {"category": "...", "threshold": "..."} objects`)
	}
	if len(raw) == 0 {
		return nil, nil
	}
	for i, ss := range raw {
		if strings.TrimSpace(ss.Category) == "" || strings.TrimSpace(ss.Threshold) == "" {
			return nil, fail("has entry %d without both a category and a threshold", i+1)
		}
		raw[i] = SafetySetting{Category: strings.TrimSpace(ss.Category), Threshold: strings.TrimSpace(ss.Threshold)}
	}
	return raw, nil
}

// jsonString encodes v compactly without HTML escaping.
func jsonString(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func formatList(l []string) string {
	if l == nil {
		l = []string{}
	}
	return jsonString(l)
}

func maskList(l []string) string {
	m := make([]string, len(l))
	for i, s := range l {
		m[i] = redact.Key(s)
	}
	return jsonString(m)
}

func maskProxies(l []string) string {
	m := make([]string, len(l))
	for i, s := range l {
		m[i] = redactURL(s)
	}
	return jsonString(m)
}

// redactURL hides the password of a URL with user info.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return u.Redacted()
		}
		return strings.Replace(s, u.User.Username()+"@", redact.Key(u.User.Username())+"@", 1)
	}
	return s
}

// sensitiveHeader reports whether a header name suggests a credential.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"auth", "key", "token", "secret", "cookie", "password", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func maskHeaders(m map[string]string) string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if sensitiveHeader(k) {
			v = redact.Key(v)
		}
		out[k] = v
	}
	return jsonString(out)
}

func formatMap[V any](m map[string]V) string {
	if m == nil {
		return "{}"
	}
	return jsonString(m)
}

func formatSafety(l []SafetySetting) string {
	if l == nil {
		l = []SafetySetting{}
	}
	return jsonString(l)
}

func checkItems(l []string, check func(string) error) error {
	for _, it := range l {
		if err := check(it); err != nil {
			return err
		}
	}
	return nil
}
