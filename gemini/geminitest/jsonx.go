package geminitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// jval is a JSON value that remembers object member order, so validation
// errors can name map entries by position as Google does.
type jval struct {
	kind byte // '{', '[', 's', 'n', 'b', 'z' (null)
	obj  []jfield
	arr  []*jval
	str  string
	num  json.Number
	b    bool
}

type jfield struct {
	key string
	val *jval
}

const maxJSONDepth = 512

// parseOrdered decodes one JSON value; trailing data is an error.
func parseOrdered(data []byte) (*jval, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &json.SyntaxError{Offset: dec.InputOffset()}
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (*jval, error) {
	if depth > maxJSONDepth {
		return nil, &json.SyntaxError{Offset: dec.InputOffset()}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jval{kind: '{'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, &json.SyntaxError{Offset: dec.InputOffset()}
				}
				ev, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.obj = append(v.obj, jfield{k, ev})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return v, nil
		case '[':
			v := &jval{kind: '[', arr: []*jval{}}
			for dec.More() {
				ev, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, ev)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return v, nil
		}
		return nil, &json.SyntaxError{Offset: dec.InputOffset()}
	case string:
		return &jval{kind: 's', str: t}, nil
	case json.Number:
		return &jval{kind: 'n', num: t}, nil
	case bool:
		return &jval{kind: 'b', b: t}, nil
	case nil:
		return &jval{kind: 'z'}, nil
	}
	return nil, &json.SyntaxError{Offset: dec.InputOffset()}
}

// toAny converts to the generic encoding/json representation.
func (v *jval) toAny() any {
	switch v.kind {
	case '{':
		m := make(map[string]any, len(v.obj))
		for _, f := range v.obj {
			m[f.key] = f.val.toAny()
		}
		return m
	case '[':
		a := make([]any, len(v.arr))
		for i, e := range v.arr {
			a[i] = e.toAny()
		}
		return a
	case 's':
		return v.str
	case 'n':
		return v.num
	case 'b':
		return v.b
	}
	return nil
}

// compact prints v as compact JSON (member order kept).
func (v *jval) compact() string {
	b, _ := json.Marshal(v.toAny())
	return string(b)
}

// syntaxErrorMessage renders a decode error like Google's
// "Invalid JSON payload received. Unexpected token.\n<line>\n   ^".
func syntaxErrorMessage(body []byte, err error) string {
	var se *json.SyntaxError
	off := int64(len(body))
	reason := "Unexpected token."
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		reason = "Unexpected end of string."
	}
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	if off > 0 {
		off-- // Offset points past the offending byte.
	}
	start := bytes.LastIndexByte(body[:off], '\n') + 1
	if int(off)-start > 40 {
		start = int(off) - 40
	}
	end := int(off) + 1 + bytes.IndexByte(body[min(int(off)+1, len(body)):], '\n')
	if end <= int(off) {
		end = len(body)
	}
	if end-int(off) > 40 {
		end = int(off) + 40
	}
	end = min(end, len(body))
	line := strings.ToValidUTF8(string(body[start:end]), "?")
	return "Invalid JSON payload received. " + reason + "\n" + line + "\n" + strings.Repeat(" ", int(off)-start) + "^"
}

// msgSpec describes one proto message: its name (for "Invalid value"
// errors) and its fields by lowerCamelCase name.
type msgSpec struct {
	proto  string
	fields map[string]fieldSpec
}

// fieldSpec describes a field: child is nil for scalars and free-form
// JSON (Struct, maps of values), which are neither renamed nor checked.
type fieldSpec struct {
	child    *msgSpec
	repeated bool
	isMap    bool
}

func leaves(names ...string) map[string]fieldSpec {
	m := make(map[string]fieldSpec, len(names))
	for _, n := range names {
		m[n] = fieldSpec{}
	}
	return m
}

type apiSpecs struct {
	generate, countTokens, embed, batchEmbed *msgSpec
}

var specsV1beta, specsV1 = buildSpecs(false), buildSpecs(true)

func buildSpecs(v1 bool) apiSpecs {
	ver := "v1beta"
	if v1 {
		ver = "v1"
	}
	msg := func(name string, f map[string]fieldSpec) *msgSpec {
		return &msgSpec{proto: "type.googleapis.com/google.ai.generativelanguage." + ver + "." + name, fields: f}
	}
	blob := msg("Blob", leaves("mimeType", "data"))
	part := msg("Part", leaves("text", "thought", "thoughtSignature"))
	part.fields["inlineData"] = fieldSpec{child: blob}
	content := msg("Content", leaves("role"))
	content.fields["parts"] = fieldSpec{child: part, repeated: true}
	if !v1 {
		for _, n := range []string{"functionResponse", "executableCode", "codeExecutionResult", "videoMetadata",
			"mediaResolution", "partMetadata", "toolCall", "toolResponse"} {
			part.fields[n] = fieldSpec{}
		}
		part.fields["fileData"] = fieldSpec{child: msg("FileData", leaves("mimeType", "fileUri", "displayName"))}
		part.fields["functionCall"] = fieldSpec{child: msg("FunctionCall", leaves("id", "name", "args", "partialArgs", "willContinue"))}
		blob.fields["displayName"] = fieldSpec{}
	}

	schema := msg("Schema", leaves("type", "format", "title", "description", "nullable", "enum", "minItems", "maxItems",
		"required", "minProperties", "maxProperties", "minimum", "maximum", "minLength", "maxLength", "pattern",
		"example", "propertyOrdering", "default"))
	schema.fields["items"] = fieldSpec{child: schema}
	schema.fields["properties"] = fieldSpec{child: schema, isMap: true}
	schema.fields["anyOf"] = fieldSpec{child: schema, repeated: true}

	fdecl := msg("FunctionDeclaration", leaves("name", "description", "behavior", "parametersJsonSchema", "responseJsonSchema"))
	fdecl.fields["parameters"] = fieldSpec{child: schema}
	fdecl.fields["response"] = fieldSpec{child: schema}
	tool := msg("Tool", leaves("googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext", "computerUse",
		"fileSearch", "googleMaps", "mcpServers", "enterpriseWebSearch"))
	tool.fields["functionDeclarations"] = fieldSpec{child: fdecl, repeated: true}

	gen := msg("GenerationConfig", leaves("stopSequences", "candidateCount", "maxOutputTokens", "temperature", "topP",
		"topK", "seed", "presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs",
		"enableEnhancedCivicAnswers", "responseModalities", "mediaResolution", "imageConfig"))
	if !v1 {
		for _, n := range []string{"responseMimeType", "responseJsonSchema", "speechConfig", "audioTimestamp", "enableAffectiveDialog"} {
			gen.fields[n] = fieldSpec{}
		}
		gen.fields["responseSchema"] = fieldSpec{child: schema}
		gen.fields["thinkingConfig"] = fieldSpec{child: msg("ThinkingConfig", leaves("includeThoughts", "thinkingBudget", "thinkingLevel"))}
	}

	req := msg("GenerateContentRequest", leaves("model"))
	req.fields["contents"] = fieldSpec{child: content, repeated: true}
	req.fields["safetySettings"] = fieldSpec{child: msg("SafetySetting", leaves("category", "threshold")), repeated: true}
	req.fields["generationConfig"] = fieldSpec{child: gen}
	if !v1 {
		for _, n := range []string{"cachedContent", "serviceTier", "store"} {
			req.fields[n] = fieldSpec{}
		}
		req.fields["systemInstruction"] = fieldSpec{child: content}
		req.fields["tools"] = fieldSpec{child: tool, repeated: true}
		req.fields["toolConfig"] = fieldSpec{child: msg("ToolConfig", leaves("functionCallingConfig", "retrievalConfig", "includeServerSideToolInvocations"))}
	}

	count := msg("CountTokensRequest", leaves())
	count.fields["contents"] = fieldSpec{child: content, repeated: true}
	count.fields["generateContentRequest"] = fieldSpec{child: req}

	embed := msg("EmbedContentRequest", leaves("model", "taskType", "title", "outputDimensionality", "autoTruncate"))
	embed.fields["content"] = fieldSpec{child: content}
	batch := msg("BatchEmbedContentsRequest", leaves())
	batch.fields["requests"] = fieldSpec{child: embed, repeated: true}
	return apiSpecs{generate: req, countTokens: count, embed: embed, batchEmbed: batch}
}

// normalize renames snake_case fields to lowerCamelCase and reports
// unknown names and non-object values where messages are expected, with
// the same wording and snake_case paths as Google's BadRequest details.
func normalize(v *jval, sp *msgSpec, path string, out *[]fieldViolation) *jval {
	if v.kind != '{' {
		desc := fmt.Sprintf("Invalid value at '%s' (%s), %s", path, sp.proto, v.compact())
		if path == "" {
			desc = "Invalid JSON payload received. Expected an object."
		}
		*out = append(*out, fieldViolation{Field: path, Description: desc})
		return nil
	}
	res := &jval{kind: '{'}
	for _, f := range v.obj {
		camel := snakeToCamel(f.key)
		fs, ok := sp.fields[camel]
		if !ok {
			desc := fmt.Sprintf("Invalid JSON payload received. Unknown name %q: Cannot find field.", f.key)
			if path != "" {
				desc = fmt.Sprintf("Invalid JSON payload received. Unknown name %q at '%s': Cannot find field.", f.key, path)
			}
			*out = append(*out, fieldViolation{Field: path, Description: desc})
			continue
		}
		sub := camelToSnake(camel)
		if path != "" {
			sub = path + "." + sub
		}
		val := f.val
		switch {
		case fs.child == nil || val.kind == 'z':
		case fs.isMap:
			if val.kind != '{' {
				*out = append(*out, fieldViolation{Field: sub, Description: fmt.Sprintf("Invalid value at '%s', %s", sub, val.compact())})
				continue
			}
			m := &jval{kind: '{'}
			for i, e := range val.obj {
				if nv := normalize(e.val, fs.child, fmt.Sprintf("%s[%d].value", sub, i), out); nv != nil {
					m.obj = append(m.obj, jfield{e.key, nv})
				}
			}
			val = m
		case fs.repeated:
			elems := val.arr
			if val.kind != '[' {
				elems = []*jval{val} // Google accepts a single value for a repeated field.
			}
			a := &jval{kind: '[', arr: []*jval{}}
			for i, e := range elems {
				if nv := normalize(e, fs.child, fmt.Sprintf("%s[%d]", sub, i), out); nv != nil {
					a.arr = append(a.arr, nv)
				}
			}
			val = a
		default:
			val = normalize(val, fs.child, sub, out)
			if val == nil {
				continue
			}
		}
		res.obj = append(res.obj, jfield{camel, val})
	}
	return res
}

func snakeToCamel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	var b strings.Builder
	up := false
	for i, r := range s {
		if r == '_' && i > 0 {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func camelToSnake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// decodeRequest parses body, normalises it against sp and decodes it into
// dst. It returns the normalised generic form and, on failure, a 400.
func decodeRequest(body []byte, sp *msgSpec, dst any) (map[string]any, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	tree, err := parseOrdered(body)
	if err != nil {
		var probe any
		if uerr := json.Unmarshal(body, &probe); uerr != nil {
			err = uerr // its offsets count the offending byte consistently
		}
		msg := syntaxErrorMessage(body, err)
		return nil, errBadRequest([]fieldViolation{{Description: msg}})
	}
	var vs []fieldViolation
	norm := normalize(tree, sp, "", &vs)
	if len(vs) > 0 {
		return nil, errBadRequest(vs)
	}
	raw, _ := norm.toAny().(map[string]any)
	b, err := json.Marshal(raw)
	if err == nil {
		err = json.Unmarshal(b, dst)
	}
	if err != nil {
		var te *json.UnmarshalTypeError
		desc := "Invalid JSON payload received. " + err.Error()
		if errors.As(err, &te) {
			field := te.Field
			parts := strings.Split(field, ".")
			for i, p := range parts {
				parts[i] = camelToSnake(p)
			}
			desc = fmt.Sprintf("Invalid value at '%s' (%s)", strings.Join(parts, "."), protoScalar(te.Type.Kind().String()))
			return nil, errBadRequest([]fieldViolation{{Field: strings.Join(parts, "."), Description: desc}})
		}
		return nil, errBadRequest([]fieldViolation{{Description: desc}})
	}
	return raw, nil
}

func protoScalar(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "TYPE_INT32"
	case strings.HasPrefix(kind, "float"):
		return "TYPE_FLOAT"
	case kind == "bool":
		return "TYPE_BOOL"
	case kind == "string":
		return "TYPE_STRING"
	case kind == "slice":
		return "TYPE_BYTES"
	}
	return "TYPE_MESSAGE"
}

// sseLine re-prints compact JSON in Google's SSE style: ": " after keys,
// "," without a space between members.
func sseLine(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/8)
	inStr, esc := false, false
	for _, c := range compact {
		out = append(out, c)
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && c == ':':
			out = append(out, ' ')
		}
	}
	return out
}

// marshalCompact encodes v without HTML escaping and without the trailing newline.
func marshalCompact(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// marshalPretty encodes v with 2-space indentation, as Google's unary bodies.
func marshalPretty(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func itoa(i int) string { return strconv.Itoa(i) }
