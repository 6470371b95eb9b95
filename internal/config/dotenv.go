package config

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// parseDotenv parses .env contents the way python-dotenv does for the
// cases gemini-balance users write:
//
//   - KEY=VALUE lines, optionally prefixed by "export "; blank lines and
//     lines starting with # are skipped; CRLF line ends are accepted;
//   - unquoted values are trimmed and end at " #" (a comment); an unquoted
//     value starting with [ or { that is valid JSON is taken whole, so a
//     " #" inside it is kept;
//   - 'single-quoted' values are literal (only \' and \\ are escapes);
//   - "double-quoted" values process \n \r \t \" \\ escapes;
//   - quoted values may span several lines;
//   - ${NAME} and ${NAME:-default} in unquoted and double-quoted values
//     expand from the environment, then from earlier lines;
//   - a later line for the same KEY replaces an earlier one.
//
// Malformed lines are skipped with a Notice naming the line number (never
// its contents, which may hold a secret).
func parseDotenv(data []byte, getenv func(string) string) (map[string]string, []Notice) {
	out := map[string]string{}
	var notices []Notice
	src := strings.ReplaceAll(string(data), "\r\n", "\n")
	src = strings.TrimPrefix(src, "\uFEFF")
	bad := func(n int, why string) {
		notices = append(notices, Notice{Text: fmt.Sprintf(".env line %d ignored: %s", n, why)})
	}
	// noClose[q] is the offset from which no closing quote q was found;
	// later searches from further on fail at once (keeps parsing linear).
	noClose := map[byte]int{}
	lineNo := 0
	for pos := 0; pos < len(src); {
		lineNo++
		lineEnd := strings.IndexByte(src[pos:], '\n')
		if lineEnd < 0 {
			lineEnd = len(src)
		} else {
			lineEnd += pos
		}
		line, lineStart := src[pos:lineEnd], pos
		pos = lineEnd + 1
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		if after, ok := strings.CutPrefix(t, "export"); ok && after != "" && (after[0] == ' ' || after[0] == '\t') {
			t = strings.TrimSpace(after)
		}
		key, val, hasEq := strings.Cut(t, "=")
		key = strings.TrimSpace(key)
		if !hasEq {
			if !validKey(key) {
				bad(lineNo, "expected KEY=VALUE")
			}
			continue // a bare KEY sets nothing, as in python-dotenv
		}
		if !validKey(key) {
			bad(lineNo, "expected KEY=VALUE with a name of letters, digits and underscores")
			continue
		}
		val = strings.TrimLeft(val, " \t")
		if val == "" || (val[0] != '"' && val[0] != '\'') {
			out[key] = expand(unquotedValue(val), getenv, out)
			continue
		}
		// A quoted value may continue on the following lines: search the
		// remaining text from just after the opening quote. val is a
		// suffix of the line minus its trailing blanks, hence its offset.
		q := val[0]
		open := lineStart + len(strings.TrimRightFunc(line, unicode.IsSpace)) - len(val) + 1
		end := -1
		if nc, seen := noClose[q]; !seen || open < nc {
			if end = closingQuote(src[open:], q); end < 0 {
				noClose[q] = open
			} else {
				end += open
			}
		}
		if end < 0 {
			bad(lineNo, "unterminated quoted value")
			continue
		}
		body := src[open:end]
		if extra := strings.Count(body, "\n"); extra > 0 {
			// Skip the lines the value used and the rest of the closing line.
			lineNo += extra
			if nl := strings.IndexByte(src[end:], '\n'); nl < 0 {
				pos = len(src)
			} else {
				pos = end + nl + 1
			}
		}
		if q == '\'' {
			out[key] = unescapeSingle(body)
		} else {
			out[key] = expand(unescapeDouble(body), getenv, out)
		}
	}
	return out, notices
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-') {
			continue
		}
		return false
	}
	return true
}

// closingQuote returns the index in s of the quote q that ends a value
// opened by q, skipping backslash escapes, or -1.
func closingQuote(s string, q byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			return i
		}
	}
	return -1
}

func unescapeSingle(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\'`, `'`).Replace(s)
}

func unescapeDouble(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\n`, "\n", `\r`, "\r", `\t`, "\t", `\'`, `'`).Replace(s)
}

// unquotedValue trims an unquoted value and drops a trailing " # comment".
func unquotedValue(v string) string {
	if v != "" && (v[0] == '[' || v[0] == '{') {
		dec := json.NewDecoder(strings.NewReader(v))
		var raw json.RawMessage
		if dec.Decode(&raw) == nil {
			end := int(dec.InputOffset())
			rest := strings.TrimSpace(v[end:])
			if rest == "" || rest[0] == '#' {
				return v[:end]
			}
		}
	}
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			v = v[:i]
			break
		}
	}
	return strings.TrimSpace(v)
}

var interpolation = regexp.MustCompile(`\$\{([^}:]*)(?::-([^}]*))?\}`)

// expand replaces ${NAME} and ${NAME:-default}.
func expand(v string, getenv func(string) string, file map[string]string) string {
	if !strings.Contains(v, "${") {
		return v
	}
	return interpolation.ReplaceAllStringFunc(v, func(m string) string {
		sub := interpolation.FindStringSubmatch(m)
		name := strings.TrimSpace(sub[1])
		if e := getenv(name); e != "" {
			return e
		}
		if f, ok := file[name]; ok && f != "" {
			return f
		}
		return sub[2]
	})
}
