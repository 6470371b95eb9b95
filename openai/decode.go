package openai

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A hand-written decoder for the upstream answer (gResponse and the stream's
// streamEvent), which the translation decodes once per upstream event:
// encoding/json's reflection was most of the stream path's allocations.
//
// The contract is strict: for every input, decodeGResponse leaves the same
// value and returns the same error as json.Unmarshal into a zero gResponse
// (decodeStreamEvent likewise for streamEvent). The decoder below only
// handles the ordinary case, an input it can decode exactly; on anything
// else, whether malformed JSON, a value of the wrong type, a repeated field
// (whose merging rules encoding/json has its own ideas about), a number it
// does not parse itself or deep nesting, it gives up and the whole input
// goes to json.Unmarshal, which produces the canonical result or error. So
// it must never succeed where encoding/json would fail, and when it
// succeeds its result must be encoding/json's; decode_test.go checks both,
// by table and by fuzzing.
//
// What it reproduces of encoding/json:
//   - syntax: RFC 8259 as encoding/json's scanner reads it (only the four
//     JSON whitespace bytes, no control bytes in strings, the number grammar,
//     anything after the top-level value is an error);
//   - strings are unescaped as encoding/json's unquote does: \uXXXX with
//     surrogate pairs, a lone or broken surrogate becomes U+FFFD, and so does
//     each byte of invalid UTF-8;
//   - keys match field names exactly or else case-insensitively, folded as
//     encoding/json folds them (so U+212A, the Kelvin sign, matches a 'k');
//     unknown keys are skipped whatever their value;
//   - null leaves a string, number or bool as it is and a pointer or slice
//     nil; a json.RawMessage gets the bytes of its value ("null" included),
//     copied, since the stream reader reuses its buffer;
//   - [] gives an empty, non-nil slice.
//
// Every string value is a copy: nothing the decoder returns shares memory
// with its input.

// decodeGResponse decodes a Gemini generateContent answer into r exactly as
// json.Unmarshal(data, r) would with r zero. r is reset first.
func decodeGResponse(data []byte, r *gResponse) error {
	*r = gResponse{}
	d := decoder{data: data}
	if d.begin() && d.response(r, nil) && d.end() {
		return nil
	}
	// Into a fresh value, so that r does not escape on the fast path.
	var g gResponse
	err := json.Unmarshal(data, &g)
	*r = g
	return err
}

// decodeStreamEvent decodes one event of a streamGenerateContent answer
// into ev exactly as json.Unmarshal(data, ev) would with ev zero. ev is
// reset first.
func decodeStreamEvent(data []byte, ev *streamEvent) error {
	*ev = streamEvent{}
	d := decoder{data: data}
	if d.begin() && d.response(&ev.gResponse, &ev.Error) && d.end() {
		return nil
	}
	var e streamEvent
	err := json.Unmarshal(data, &e)
	*ev = e
	return err
}

// maxDecodeDepth is the nesting past which the decoder leaves the input to
// encoding/json (whose own limit, 10000, is an error).
const maxDecodeDepth = 256

// decoder reads one JSON document. Its methods that decode a value start at
// the value's first byte (whitespace skipped), end just after it, and
// return false when the decoder gives up; nothing is undone then, since the
// caller starts again with encoding/json.
type decoder struct {
	data  []byte
	pos   int
	depth int
}

// Field names, in the order of the struct fields in wire.go: the index of
// a name is what the decoding functions switch on. TestDecodeFieldSets
// checks them against the structs' json tags.
var (
	responseFields       = fieldSet{"candidates", "promptFeedback", "usageMetadata", "modelVersion", "responseId"}
	streamEventFields    = fieldSet{"candidates", "promptFeedback", "usageMetadata", "modelVersion", "responseId", "error"}
	promptFeedbackFields = fieldSet{"blockReason"}
	candidateFields      = fieldSet{"content", "finishReason", "index", "logprobsResult"}
	contentFields        = fieldSet{"role", "parts"}
	partFields           = fieldSet{"text", "inlineData", "functionCall", "functionResponse", "fileData", "executableCode", "codeExecutionResult", "thought", "thoughtSignature"}
	blobFields           = fieldSet{"mimeType", "data"}
	fileDataFields       = fieldSet{"mimeType", "fileUri"}
	functionCallFields   = fieldSet{"id", "name", "args"}
	functionRespFields   = fieldSet{"id", "name", "response"}
	execCodeFields       = fieldSet{"language", "code"}
	codeResultFields     = fieldSet{"outcome", "output"}
	logprobsFields       = fieldSet{"topCandidates", "chosenCandidates"}
	topCandidatesFields  = fieldSet{"candidates"}
	tokenLogprobFields   = fieldSet{"token", "logProbability"}
	usageFields          = fieldSet{"promptTokenCount", "candidatesTokenCount", "totalTokenCount", "cachedContentTokenCount", "toolUsePromptTokenCount", "thoughtsTokenCount"}
)

// promptFeedback and topCandidates name gResponse's and gLogprobs'
// anonymous element types.
type (
	promptFeedback = struct {
		BlockReason string `json:"blockReason"`
	}
	topCandidates = struct {
		Candidates []gTokenLogprob `json:"candidates"`
	}
)

// response decodes a gResponse; with errField set, also the stream
// event's "error" member into it.
func (d *decoder) response(r *gResponse, errField *json.RawMessage) bool {
	fields := responseFields
	if errField != nil {
		fields = streamEventFields
	}
	return d.object(fields, func(i int) bool {
		switch i {
		case 0:
			return decodeSlice(d, &r.Candidates, func(c **gCandidate) bool { return decodePtr(d, c, d.candidate) })
		case 1:
			return decodePtr(d, &r.PromptFeedback, func(p *promptFeedback) bool {
				return d.object(promptFeedbackFields, func(int) bool { return d.str(&p.BlockReason) })
			})
		case 2:
			return decodePtr(d, &r.UsageMetadata, d.usage)
		case 3:
			return d.str(&r.ModelVersion)
		case 4:
			return d.str(&r.ResponseID)
		default:
			return d.raw(errField)
		}
	})
}

// candidate, content, part, logprobs, tokenLogprob and usage decode the
// struct of that name into a zero value.
func (d *decoder) candidate(c *gCandidate) bool {
	return d.object(candidateFields, func(i int) bool {
		switch i {
		case 0:
			return decodePtr(d, &c.Content, d.content)
		case 1:
			return d.str(&c.FinishReason)
		case 2:
			return d.integer(&c.Index)
		default:
			return decodePtr(d, &c.LogprobsResult, d.logprobs)
		}
	})
}

func (d *decoder) content(c *gContent) bool {
	return d.object(contentFields, func(i int) bool {
		if i == 0 {
			return d.str(&c.Role)
		}
		return decodeSlice(d, &c.Parts, func(p **gPart) bool { return decodePtr(d, p, d.part) })
	})
}

func (d *decoder) part(p *gPart) bool {
	return d.object(partFields, func(i int) bool {
		switch i {
		case 0:
			return d.str(&p.Text)
		case 1:
			return decodePtr(d, &p.InlineData, func(b *gBlob) bool { return d.twoStrings(blobFields, &b.MimeType, &b.Data) })
		case 2:
			return decodePtr(d, &p.FunctionCall, func(f *gFunctionCall) bool { return d.call(functionCallFields, &f.ID, &f.Name, &f.Args) })
		case 3:
			return decodePtr(d, &p.FunctionResponse, func(f *gFunctionResponse) bool {
				return d.call(functionRespFields, &f.ID, &f.Name, &f.Response)
			})
		case 4:
			return decodePtr(d, &p.FileData, func(f *gFileData) bool { return d.twoStrings(fileDataFields, &f.MimeType, &f.FileURI) })
		case 5:
			return decodePtr(d, &p.ExecutableCode, func(c *gExecutableCode) bool { return d.twoStrings(execCodeFields, &c.Language, &c.Code) })
		case 6:
			return decodePtr(d, &p.CodeExecutionResult, func(c *gCodeResult) bool { return d.twoStrings(codeResultFields, &c.Outcome, &c.Output) })
		case 7:
			return d.boolean(&p.Thought)
		default:
			return d.str(&p.ThoughtSignature)
		}
	})
}

// twoStrings decodes an object of two string members, fields[0] into a
// and fields[1] into b (gBlob, gFileData, gExecutableCode, gCodeResult).
func (d *decoder) twoStrings(fields fieldSet, a, b *string) bool {
	return d.object(fields, func(i int) bool {
		if i == 0 {
			return d.str(a)
		}
		return d.str(b)
	})
}

// call decodes a gFunctionCall or gFunctionResponse: id, name and the
// arguments or response, kept raw.
func (d *decoder) call(fields fieldSet, id, name *string, value *json.RawMessage) bool {
	return d.object(fields, func(i int) bool {
		switch i {
		case 0:
			return d.str(id)
		case 1:
			return d.str(name)
		default:
			return d.raw(value)
		}
	})
}

func (d *decoder) logprobs(l *gLogprobs) bool {
	return d.object(logprobsFields, func(i int) bool {
		if i == 0 {
			return decodeSlice(d, &l.TopCandidates, func(t *topCandidates) bool {
				return d.structOrNull(topCandidatesFields, func(int) bool { return decodeSlice(d, &t.Candidates, d.tokenLogprob) })
			})
		}
		return decodeSlice(d, &l.ChosenCandidates, d.tokenLogprob)
	})
}

func (d *decoder) tokenLogprob(t *gTokenLogprob) bool {
	return d.structOrNull(tokenLogprobFields, func(i int) bool {
		if i == 0 {
			return d.str(&t.Token)
		}
		return d.float(&t.LogProbability)
	})
}

func (d *decoder) usage(u *gUsage) bool {
	counts := [...]*int{&u.PromptTokenCount, &u.CandidatesTokenCount, &u.TotalTokenCount,
		&u.CachedContentTokenCount, &u.ToolUsePromptTokenCount, &u.ThoughtsTokenCount}
	return d.object(usageFields, func(i int) bool { return d.integer(counts[i]) })
}

// decodePtr decodes an object into a new *T, or null (leaving *p nil).
// fill, like every function value the decoder calls, gets d from its
// closure, not as an argument: a pointer passed to a function value
// escapes, and the decoder would cost an allocation.
func decodePtr[T any](d *decoder, p **T, fill func(*T) bool) bool {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case '{':
		*p = new(T)
		return fill(*p)
	}
	return false
}

// decodeSlice decodes an array into *s, each element from its zero value
// with elem, or null (leaving *s nil). [] gives an empty, non-nil slice.
func decodeSlice[T any](d *decoder, s *[]T, elem func(*T) bool) bool {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case '[':
	default:
		return false
	}
	var out []T
	ok := d.array(func() bool {
		var zero T
		out = append(out, zero)
		return elem(&out[len(out)-1])
	})
	if out == nil {
		out = []T{}
	}
	*s = out
	return ok
}

// structOrNull decodes an object into a struct value, or null (leaving it
// as it is, as encoding/json does for a struct).
func (d *decoder) structOrNull(fields fieldSet, field func(i int) bool) bool {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	return d.object(fields, field)
}

// object decodes an object, calling field with the index in fields of
// each known member, positioned at its value; unknown members are
// skipped. A nil fields skips every member. A member named twice (even in
// different case) makes it give up: encoding/json decodes the second
// value over the first, which the field functions, that start from zero
// values, do not.
func (d *decoder) object(fields fieldSet, field func(i int) bool) bool {
	more, ok := d.open('{', '}')
	var seen uint64
	for ok && more {
		var key []byte
		if key, ok = d.key(fields != nil); !ok {
			return false
		}
		d.ws()
		if d.peek() != ':' {
			return false
		}
		d.pos++
		d.ws()
		if i := fields.index(key); i < 0 {
			ok = d.skip()
		} else {
			ok = seen&(1<<i) == 0 && field(i)
			seen |= 1 << i
		}
		if !ok {
			return false
		}
		more, ok = d.next('}')
	}
	return ok
}

// array decodes an array, calling elem positioned at each element.
func (d *decoder) array(elem func() bool) bool {
	more, ok := d.open('[', ']')
	for ok && more {
		if !elem() {
			return false
		}
		more, ok = d.next(']')
	}
	return ok
}

// open passes over the opening byte of an object or array, and its closing
// byte too when it is empty. more says a member or element follows.
func (d *decoder) open(open, close byte) (more, ok bool) {
	if d.peek() != open {
		return false, false
	}
	d.pos++
	d.depth++
	if d.depth > maxDecodeDepth {
		return false, false
	}
	d.ws()
	if d.peek() == close {
		d.pos++
		d.depth--
		return false, true
	}
	return true, true
}

// next passes over what follows a member or element: a comma (more
// follows) or the closing byte.
func (d *decoder) next(close byte) (more, ok bool) {
	d.ws()
	switch d.peek() {
	case ',':
		d.pos++
		d.ws()
		return true, true
	case close:
		d.pos++
		d.depth--
		return false, true
	}
	return false, false
}

// skip checks and passes over any value.
func (d *decoder) skip() bool {
	switch d.peek() {
	case '"':
		_, _, ok := d.scanString()
		return ok
	case '{':
		return d.object(nil, nil)
	case '[':
		return d.array(d.skip)
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		_, _, ok := d.number()
		return ok
	}
}

// raw stores a copy of the next value's bytes in *m, as
// json.RawMessage.UnmarshalJSON does (null included).
func (d *decoder) raw(m *json.RawMessage) bool {
	start := d.pos
	if !d.skip() {
		return false
	}
	*m = append(json.RawMessage(nil), d.data[start:d.pos]...)
	return true
}

// str decodes a string into *s; null leaves it as it is.
func (d *decoder) str(s *string) bool {
	switch d.peek() {
	case '"':
		raw, esc, ok := d.scanString()
		if !ok {
			return false
		}
		if esc {
			*s = unquote(raw)
		} else {
			*s = intern(raw)
		}
		return true
	case 'n':
		return d.literal("null")
	}
	return false
}

// intern returns a string holding b, without allocating for the values
// Gemini repeats in every answer.
func intern(b []byte) string {
	switch string(b) {
	case "":
		return ""
	case "model":
		return "model"
	case "STOP":
		return "STOP"
	case "MAX_TOKENS":
		return "MAX_TOKENS"
	}
	return string(b)
}

// integer decodes a number into an int; null leaves it as it is. A
// fraction, an exponent or more than 18 digits make it give up
// (encoding/json fails on the first two and may on the third).
func (d *decoder) integer(p *int) bool {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	lit, isInt, ok := d.number()
	if !ok || !isInt {
		return false
	}
	neg := lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) > 18 {
		return false
	}
	var n int64
	for _, c := range lit {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	if int64(int(n)) != n {
		return false
	}
	*p = int(n)
	return true
}

// float decodes a number into a float64 as encoding/json does; null leaves
// it as it is.
func (d *decoder) float(p *float64) bool {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	lit, _, ok := d.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return false
	}
	*p = f
	return true
}

// boolean decodes true or false; null leaves *p as it is.
func (d *decoder) boolean(p *bool) bool {
	switch d.peek() {
	case 't':
		*p = true
		return d.literal("true")
	case 'f':
		*p = false
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	return false
}

// literal passes over lit (true, false or null) if it is next. What
// follows is checked by the enclosing array, object or end.
func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

// number passes over a number, returning its bytes and whether it has
// neither fraction nor exponent. The grammar is JSON's:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) number() (lit []byte, isInt, ok bool) {
	data, i := d.data, d.pos
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return nil, false, false
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		i = digits(data, i)
	default:
		return nil, false, false
	}
	isInt = true
	if i < len(data) && data[i] == '.' {
		isInt = false
		j := digits(data, i+1)
		if j == i+1 {
			return nil, false, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		isInt = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return nil, false, false
		}
		i = j
	}
	lit = data[d.pos:i]
	d.pos = i
	return lit, isInt, true
}

// digits returns the index of the first non-digit at or after i.
func digits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}

// key reads a member name. With unescape it returns the name as
// encoding/json compares it (unescaped, invalid UTF-8 replaced); else only
// checks it.
func (d *decoder) key(unescape bool) ([]byte, bool) {
	if d.peek() != '"' {
		return nil, false
	}
	raw, esc, ok := d.scanString()
	if ok && esc && unescape {
		raw = []byte(unquote(raw))
	}
	return raw, ok
}

// plainString marks the bytes that stand for themselves in a JSON string
// and are valid UTF-8 on their own: printable ASCII but '"' and '\\'.
var plainString = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString passes over a string, checking it as encoding/json's scanner
// does. raw is what stands between the quotes; esc says it needs unquote
// (it has escapes or invalid UTF-8).
func (d *decoder) scanString() (raw []byte, esc, ok bool) {
	data := d.data
	i := d.pos + 1
	for i < len(data) {
		c := data[i]
		if plainString[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			raw = data[d.pos+1 : i]
			d.pos = i + 1
			return raw, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(data) {
				return nil, false, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(data) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return nil, false, false
				}
				i += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				esc = true
			}
			i += size
		}
	}
	return nil, false, false
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unquote returns the string whose checked contents (between the quotes)
// are s, as encoding/json's unquoteBytes produces it. Runs of bytes that
// stand for themselves are copied whole.
func unquote(s []byte) string {
	var b strings.Builder
	b.Grow(len(s))
	start := 0
	for r := 0; r < len(s); {
		c := s[r]
		if c >= utf8.RuneSelf {
			rr, size := utf8.DecodeRune(s[r:])
			if rr != utf8.RuneError || size != 1 {
				r += size
				continue
			}
			// Invalid UTF-8 becomes U+FFFD, one per byte.
			b.Write(s[start:r])
			b.WriteRune(utf8.RuneError)
			r++
			start = r
			continue
		}
		if c != '\\' {
			r++
			continue
		}
		b.Write(s[start:r])
		switch s[r+1] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			rr := getu4(s[r:])
			r += 6
			if utf16.IsSurrogate(rr) {
				if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != unicode.ReplacementChar {
					// A valid pair.
					rr = dec
					r += 6
				} else {
					rr = unicode.ReplacementChar
				}
			}
			b.WriteRune(rr)
			start = r
			continue
		default: // '"', '\\', '/'
			b.WriteByte(s[r+1])
		}
		r += 2
		start = r
	}
	b.Write(s[start:])
	return b.String()
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// peek returns the byte at the read position, or 0 at the end.
func (d *decoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// ws passes over JSON whitespace.
func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// begin passes over leading whitespace and reports whether an object
// follows; anything else (null included) is left to encoding/json.
func (d *decoder) begin() bool {
	d.ws()
	return d.peek() == '{'
}

// end reports whether only whitespace is left.
func (d *decoder) end() bool {
	d.ws()
	return d.pos == len(d.data)
}

// fieldSet is a struct's JSON member names, indexed as its decoding
// function switches on them.
type fieldSet []string

// index returns the index of the field key names, or -1. Like
// encoding/json it tries an exact match, then a case-insensitive one.
func (fs fieldSet) index(key []byte) int {
	for i, n := range fs {
		if string(key) == n {
			return i
		}
	}
	for i, n := range fs {
		if foldEqual(key, n) {
			return i
		}
	}
	return -1
}

// foldEqual reports whether encoding/json's foldName gives the same for
// key and the ASCII name: ASCII letters fold to upper case, other runes to
// the smallest rune of their case-folding orbit.
func foldEqual(key []byte, name string) bool {
	j := 0
	for i := 0; i < len(key); j++ {
		var f rune
		if c := key[i]; c < utf8.RuneSelf {
			f = rune(upperASCII(c))
			i++
		} else {
			r, size := utf8.DecodeRune(key[i:])
			f = foldRune(r)
			i += size
		}
		if j >= len(name) || f != rune(upperASCII(name[j])) {
			return false
		}
	}
	return j == len(name)
}

// upperASCII upper-cases an ASCII letter; other bytes are returned as they are.
func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// foldRune returns the smallest rune of r's case-folding orbit, as
// encoding/json does.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
