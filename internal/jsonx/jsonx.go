// Package jsonx holds small allocation-free helpers for looking into JSON
// documents without decoding them, so pass-through paths can stay
// byte-for-byte.
package jsonx

import "bytes"

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just after the string starting at b[i]=='"'.
func skipString(b []byte, i int) int {
	i++
	for i < len(b) {
		switch b[i] {
		case '\\':
			i += 2
			continue
		case '"':
			return i + 1
		}
		i++
	}
	return len(b)
}

// skipValue returns the index just after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	default:
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
			i++
		}
		return i
	}
}

// Field returns the raw value of a top-level member of the JSON object b
// whose name is one of names, and whether one was found. b must be valid
// JSON (check with json.Valid first); names are compared to the raw,
// unescaped-as-written key.
func Field(b []byte, names ...string) ([]byte, bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i++
	for {
		i = skipWS(b, i)
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		end := skipString(b, i)
		key := b[i+1 : end-1]
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipWS(b, i+1)
		vend := skipValue(b, i)
		for _, n := range names {
			if string(key) == n {
				return b[i:vend], true
			}
		}
		i = skipWS(b, vend)
		if i >= len(b) || b[i] != ',' {
			return nil, false
		}
		i++
	}
}

// IsObject reports whether the valid JSON document b is an object.
func IsObject(b []byte) bool {
	i := skipWS(b, 0)
	return i < len(b) && b[i] == '{'
}

// AppendMember returns the JSON object b with the member "name": value
// added at its end. b must be a valid JSON object; value valid JSON.
func AppendMember(b []byte, name string, value []byte) []byte {
	end := bytes.LastIndexByte(b, '}')
	if end < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+len(name)+len(value)+8)
	head := bytes.TrimRight(b[:end], " \t\r\n")
	if len(head) == 0 {
		return b
	}
	out = append(out, head...)
	if head[len(head)-1] != '{' {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	out = append(out, value...)
	out = append(out, '}')
	return out
}

// Int finds the first occurrence of "name": <integer> anywhere in b and
// returns the integer. It is meant for reading counters such as
// usageMetadata.totalTokenCount out of a response tail cheaply.
func Int(b []byte, name string) (int, bool) {
	pat := make([]byte, 0, len(name)+2)
	pat = append(pat, '"')
	pat = append(pat, name...)
	pat = append(pat, '"')
	i := bytes.LastIndex(b, pat)
	if i < 0 {
		return 0, false
	}
	i = skipWS(b, i+len(pat))
	if i >= len(b) || b[i] != ':' {
		return 0, false
	}
	i = skipWS(b, i+1)
	n, ok := 0, false
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int(b[i]-'0')
		ok = true
		i++
		if n > 1<<40 {
			return 0, false
		}
	}
	return n, ok
}
