package geminitest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

const (
	thoughtText         = "**Thinking...**"
	functionCallMessage = "Model generated function call(s)."
)

func (c *call) specs() apiSpecs {
	if c.rt.version == "v1" {
		return specsV1
	}
	return specsV1beta
}

func (c *call) generate() {
	var req GenerateRequest
	raw, e := decodeRequest(c.body, c.specs().generate, &req)
	if e != nil {
		c.fail(e)
		return
	}
	req.Raw = raw
	req.ModelID = c.model.ID()
	req.APIVersion = c.rt.version
	req.Stream = c.rt.method == "streamGenerateContent"
	req.Key = c.key
	if req.Model == "" {
		req.Model = c.model.Name
	}
	if e := c.validateGenerate(&req); e != nil {
		c.fail(e)
		return
	}
	var resp *GenerateResponse
	if c.s.opts.Responder != nil {
		resp = c.s.opts.Responder(&req)
	}
	if resp == nil {
		resp = c.builtin(&req)
	}
	c.finalize(resp, &req)
	if req.Stream {
		c.stream(resp)
		return
	}
	c.writeJSON(200, resp)
}

// validateGenerate reproduces the request checks Google makes before
// generating.
func (c *call) validateGenerate(req *GenerateRequest) *apiError {
	if len(req.Contents) == 0 {
		return errInvalidArgument("* GenerateContentRequest.contents: contents is not specified\n")
	}
	for i, ct := range req.Contents {
		if ct == nil || len(ct.Parts) == 0 {
			return errInvalidArgument(fmt.Sprintf("* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.\n", i))
		}
		if ct.Role != "" && ct.Role != "user" && ct.Role != "model" {
			return errInvalidArgument("Please use a valid role: user, model.")
		}
		for j, p := range ct.Parts {
			if p == nil {
				return errInvalidArgument(fmt.Sprintf("* GenerateContentRequest.contents[%d].parts[%d].data: required oneof field 'data' must have one initialized field\n", i, j))
			}
		}
	}
	if req.SystemInstruction != nil && len(req.SystemInstruction.Parts) == 0 {
		return errInvalidArgument("* GenerateContentRequest.system_instruction.parts: contents.parts must not be empty.\n")
	}
	for i, t := range req.Tools {
		if t == nil {
			continue
		}
		for j, d := range t.FunctionDeclarations {
			if d == nil || d.Name == "" {
				return errInvalidArgument(fmt.Sprintf("* GenerateContentRequest.tools[%d].function_declarations[%d].name: [FIELD_INVALID] Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.\n", i, j))
			}
			if d.Parameters != nil && d.ParametersJSONSchema != nil {
				return errInvalidArgument(fmt.Sprintf("* GenerateContentRequest.tools[%d].function_declarations[%d].parameters_json_schema: parameters and parameters_json_schema cannot both be set.\n", i, j))
			}
		}
	}
	gc := req.GenerationConfig
	if gc != nil {
		if gc.CandidateCount < 0 || gc.CandidateCount > 8 {
			return errInvalidArgument("* GenerateContentRequest.generation_config.candidate_count: must be in the range [1, 8].\n")
		}
		if gc.ResponseSchema != nil && gc.ResponseJSONSchema != nil {
			return errInvalidArgument("* GenerateContentRequest.generation_config.response_schema: response_schema and response_json_schema cannot both be set.\n")
		}
		for _, mod := range gc.ResponseModalities {
			switch strings.ToUpper(mod) {
			case "TEXT":
			case "AUDIO":
				if !isTTS(c.model.ID()) {
					return errInvalidArgument("Model does not support the requested response modalities: audio")
				}
			case "IMAGE":
				if !isImageModel(c.model.ID()) {
					return errInvalidArgument("Model does not support the requested response modalities: image")
				}
			default:
				return errInvalidArgument(fmt.Sprintf("Invalid value at 'generation_config.response_modalities[0]' (type.googleapis.com/google.ai.generativelanguage.%s.GenerationConfig.Modality), %q", c.rt.version, mod))
			}
		}
		if tc := gc.ThinkingConfig; tc != nil {
			if !c.model.Thinking {
				return errInvalidArgument("Thinking is not supported by this model.")
			}
			if tc.ThinkingBudget != nil && tc.ThinkingLevel != "" {
				return errInvalidArgument("You can only set only one of thinking budget and thinking level.")
			}
			if tc.ThinkingBudget != nil && *tc.ThinkingBudget == 0 && strings.Contains(c.model.ID(), "-pro") {
				return errInvalidArgument("Budget 0 is invalid. This model only works in thinking mode.")
			}
		}
	}
	if strings.HasPrefix(c.model.ID(), "gemini-3") {
		// Only the current turn (after the last user text) is validated.
		startTurn := 0
		for i, ct := range req.Contents {
			if ct.Role != "model" && hasText(ct) {
				startTurn = i
			}
		}
		for i := startTurn; i < len(req.Contents); i++ {
			ct := req.Contents[i]
			if ct.Role != "model" {
				continue
			}
			for _, p := range ct.Parts {
				if p != nil && p.FunctionCall != nil {
					if len(p.ThoughtSignature) == 0 {
						return errInvalidArgument(fmt.Sprintf("Function call `%s` in the `%d.` content block is missing a `thought_signature`. Learn more: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures", p.FunctionCall.Name, i))
					}
					break // only the first call of a step carries the signature
				}
			}
		}
	}
	return nil
}

func hasText(ct *Content) bool {
	for _, p := range ct.Parts {
		if p != nil && p.Text != "" {
			return true
		}
	}
	return false
}

func isTTS(id string) bool        { return strings.Contains(id, "-tts") }
func isImageModel(id string) bool { return strings.Contains(id, "-image") }

var blockRe = regexp.MustCompile(`\bBLOCKME\b`)

// builtin is the deterministic built-in answer.
func (c *call) builtin(req *GenerateRequest) *GenerateResponse {
	for _, ct := range req.Contents {
		for _, p := range ct.Parts {
			if p != nil && blockRe.MatchString(p.Text) {
				return &GenerateResponse{PromptFeedback: &PromptFeedback{BlockReason: "SAFETY", SafetyRatings: []*SafetyRating{
					{Category: "HARM_CATEGORY_SEXUALLY_EXPLICIT", Probability: "NEGLIGIBLE"},
					{Category: "HARM_CATEGORY_HATE_SPEECH", Probability: "NEGLIGIBLE"},
					{Category: "HARM_CATEGORY_HARASSMENT", Probability: "NEGLIGIBLE"},
					{Category: "HARM_CATEGORY_DANGEROUS_CONTENT", Probability: "HIGH", Blocked: true},
				}}}
			}
		}
	}
	gc := req.GenerationConfig
	if gc == nil {
		gc = &GenerationConfig{}
	}
	n := max(gc.CandidateCount, 1)
	resp := &GenerateResponse{}
	for i := 0; i < n; i++ {
		resp.Candidates = append(resp.Candidates, c.answer(req, gc, i))
	}
	return resp
}

// thinks reports whether the model thinks for this request.
func (c *call) thinks(gc *GenerationConfig) bool {
	if !c.model.Thinking {
		return false
	}
	tc := gc.ThinkingConfig
	return tc == nil || tc.ThinkingBudget == nil || *tc.ThinkingBudget != 0
}

func (c *call) answer(req *GenerateRequest, gc *GenerationConfig, idx int) *Candidate {
	model := c.model.ID()
	cand := &Candidate{Index: idx, FinishReason: "STOP", Content: &Content{Role: "model"}}
	var parts []*Part
	if c.thinks(gc) && gc.ThinkingConfig != nil && gc.ThinkingConfig.IncludeThoughts {
		parts = append(parts, &Part{Text: thoughtText, Thought: true})
	}
	last := req.Contents[len(req.Contents)-1]
	var lastResponse *FunctionResponse
	for _, p := range last.Parts {
		if p != nil && p.FunctionResponse != nil {
			lastResponse = p.FunctionResponse
		}
	}
	userText := req.LastUserText()
	suffix := ""
	if idx > 0 {
		suffix = fmt.Sprintf(" [candidate %d]", idx+1)
	}

	switch {
	case isTTS(model):
		cand.Content.Parts = append(parts, &Part{InlineData: &Blob{MimeType: "audio/L16;codec=pcm;rate=24000", Data: pcmTone(userText)}})
		return cand
	case lastResponse == nil && c.shouldCallFunctions(req):
		calls := c.functionCalls(req, userText)
		cand.Content.Parts = append(parts, calls...)
		cand.FinishMessage = functionCallMessage
		return cand
	}

	var text string
	switch {
	case lastResponse != nil:
		resp, _ := json.Marshal(lastResponse.Response)
		text = fmt.Sprintf("Simulated answer from %s using the result of %s: %s", model, lastResponse.Name, truncate(string(resp), 120))
	case strings.EqualFold(gc.ResponseMimeType, "application/json"):
		text = jsonAnswer(gc, fmt.Sprintf("Simulated answer from %s to: %s", model, truncate(userText, 40)))
	case strings.EqualFold(gc.ResponseMimeType, "text/x.enum"):
		text = "UNKNOWN"
		if e, ok := gc.ResponseSchema["enum"].([]any); ok && len(e) > 0 {
			text = fmt.Sprint(e[0])
		}
	default:
		text = fmt.Sprintf("Simulated answer from %s to: %s", model, truncate(userText, 40))
	}
	if !strings.EqualFold(gc.ResponseMimeType, "application/json") && !strings.EqualFold(gc.ResponseMimeType, "text/x.enum") {
		text = padWords(text+suffix, c.s.opts.StreamEvents)
	}
	if max := gc.MaxOutputTokens; max > 0 && countWords(text) > max {
		text = firstWords(text, max)
		cand.FinishReason = "MAX_TOKENS"
	}
	parts = append(parts, &Part{Text: text})
	if isImageModel(model) {
		parts = append(parts, &Part{InlineData: &Blob{MimeType: "image/png", Data: tinyPNG(userText, idx)}})
	}
	cand.Content.Parts = parts
	for _, t := range req.Tools {
		if t == nil {
			continue
		}
		if t.GoogleSearch != nil || t.GoogleSearchRetrieval != nil {
			cand.GroundingMetadata = grounding(text, userText)
		}
		if t.URLContext != nil {
			cand.URLContextMetadata = urlContext(userText)
		}
	}
	return cand
}

var fillerWords = strings.Fields("This reply was generated deterministically by the geminitest simulator for testing purposes.")

// padWords appends filler words until text has at least n words, so that a
// stream can be split into n non-empty events.
func padWords(text string, n int) string {
	for i := 0; countWords(text) < n; i++ {
		text += " " + fillerWords[i%len(fillerWords)]
	}
	return text
}

func countWords(s string) int { return len(strings.Fields(s)) }

// firstWords keeps the first n words of s (with their spacing).
func firstWords(s string, n int) string {
	units := splitUnits(s)
	if n >= len(units) {
		return s
	}
	return strings.TrimRight(strings.Join(units[:n], ""), " \t\r\n")
}

// shouldCallFunctions decides whether the model answers with function calls.
func (c *call) shouldCallFunctions(req *GenerateRequest) bool {
	if req.ToolConfig != nil && req.ToolConfig.FunctionCallingConfig != nil &&
		strings.EqualFold(req.ToolConfig.FunctionCallingConfig.Mode, "NONE") {
		return false
	}
	return len(declarations(req)) > 0
}

// declarations lists the callable declarations, honouring allowedFunctionNames.
func declarations(req *GenerateRequest) []*FunctionDeclaration {
	var allowed map[string]bool
	if req.ToolConfig != nil && req.ToolConfig.FunctionCallingConfig != nil && len(req.ToolConfig.FunctionCallingConfig.AllowedFunctionNames) > 0 {
		allowed = map[string]bool{}
		for _, n := range req.ToolConfig.FunctionCallingConfig.AllowedFunctionNames {
			allowed[n] = true
		}
	}
	var out []*FunctionDeclaration
	for _, t := range req.Tools {
		if t == nil {
			continue
		}
		for _, d := range t.FunctionDeclarations {
			if d != nil && d.Name != "" && (allowed == nil || allowed[d.Name]) {
				out = append(out, d)
			}
		}
	}
	return out
}

var parallelRe = regexp.MustCompile(`(?i)\bparallel\b`)

// functionCalls builds the functionCall parts: the declaration named in
// the prompt (else the first), or up to three when the prompt says
// "parallel". The first part carries the thought signature.
func (c *call) functionCalls(req *GenerateRequest, userText string) []*Part {
	decls := declarations(req)
	chosen := decls[:1]
	if parallelRe.MatchString(userText) {
		chosen = decls[:min(3, len(decls))]
	} else {
		for _, d := range decls {
			if strings.Contains(strings.ToLower(userText), strings.ToLower(d.Name)) {
				chosen = []*FunctionDeclaration{d}
				break
			}
		}
	}
	var parts []*Part
	for i, d := range chosen {
		var schema any = d.Parameters
		if d.Parameters == nil {
			schema = d.ParametersJSONSchema
		}
		args, _ := toPlain(sampleValue(schema, schema, "", 0)).(map[string]any)
		fc := &FunctionCall{Name: d.Name, Args: args}
		if args == nil {
			fc.Args = map[string]any{}
		}
		if strings.HasPrefix(c.model.ID(), "gemini-3") {
			fc.ID = fmt.Sprintf("%08x", uint32(fnv64(fmt.Sprint(c.key, d.Name, i, len(req.Contents)))))
		}
		p := &Part{FunctionCall: fc}
		if i == 0 {
			p.ThoughtSignature = signature(c.model.ID(), d.Name, len(req.Contents))
		}
		parts = append(parts, p)
	}
	return parts
}

// signature is a deterministic, opaque-looking thought signature.
func signature(parts ...any) Bytes {
	seed := fnv64(fmt.Sprint(parts...))
	out := make([]byte, 48)
	for i := range out {
		seed = splitmix(seed)
		out[i] = byte(seed)
	}
	copy(out, "CiIB") // resembles real signatures' leading proto bytes
	return out
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	z := x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func grounding(text, query string) map[string]any {
	return map[string]any{
		"searchEntryPoint": map[string]any{"renderedContent": `<style>.container{display:flex}</style><div class="container"><a class="chip" href="https://www.google.com/search?q=geminitest">` + htmlEscape(truncate(query, 40)) + `</a></div>`},
		"groundingChunks": []any{map[string]any{"web": map[string]any{
			"uri":   "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AUBnsYgeminitest",
			"title": "example.com"}}},
		"groundingSupports": []any{map[string]any{
			"segment":               map[string]any{"endIndex": len(text), "text": text},
			"groundingChunkIndices": []int{0},
			"confidenceScores":      []float64{0.9},
		}},
		"webSearchQueries": []string{truncate(query, 60)},
	}
}

var urlRe = regexp.MustCompile(`https?://[^\s"'<>]+`)

func urlContext(text string) map[string]any {
	var meta []any
	for _, u := range urlRe.FindAllString(text, 20) {
		meta = append(meta, map[string]any{"retrievedUrl": u, "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS"})
	}
	if meta == nil {
		return nil
	}
	return map[string]any{"urlMetadata": meta}
}

// jsonAnswer renders a JSON answer: a value satisfying the response schema
// roughly, or {"answer": text}.
func jsonAnswer(gc *GenerationConfig, text string) string {
	var schema any
	switch {
	case gc.ResponseSchema != nil:
		schema = gc.ResponseSchema
	case gc.ResponseJSONSchema != nil:
		schema = gc.ResponseJSONSchema
	default:
		return string(marshalPretty(orderedObject{{"answer", text}}))
	}
	return string(marshalPretty(sampleValue(schema, schema, "", 0)))
}

// orderedObject is a JSON object that keeps member order.
type orderedObject []kv

type kv struct {
	k string
	v any
}

// MarshalJSON writes the members in order.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshalCompact(e.k))
		b.WriteByte(':')
		b.Write(marshalCompact(e.v))
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// toPlain turns orderedObjects into maps.
func toPlain(v any) any {
	switch t := v.(type) {
	case orderedObject:
		m := make(map[string]any, len(t))
		for _, e := range t {
			m[e.k] = toPlain(e.v)
		}
		return m
	case []any:
		for i := range t {
			t[i] = toPlain(t[i])
		}
	}
	return v
}

// sampleValue builds a plausible value for an OpenAPI-subset Schema or a
// JSON Schema. Objects list propertyOrdering first, then the other
// properties alphabetically, as Gemini orders its JSON output.
func sampleValue(schema, root any, name string, depth int) any {
	m, ok := schema.(map[string]any)
	if !ok || depth > 8 {
		return "x"
	}
	if ref, ok := m["$ref"].(string); ok {
		if r, ok := root.(map[string]any); ok {
			for _, defs := range []string{"$defs", "definitions"} {
				if d, ok := r[defs].(map[string]any); ok {
					if target, ok := d[ref[strings.LastIndex(ref, "/")+1:]]; ok {
						return sampleValue(target, root, name, depth+1)
					}
				}
			}
		}
		return "x"
	}
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	for _, alt := range []string{"anyOf", "oneOf"} {
		if a, ok := m[alt].([]any); ok && len(a) > 0 {
			return sampleValue(a[0], root, name, depth+1)
		}
	}
	typ := ""
	switch t := m["type"].(type) {
	case string:
		typ = strings.ToLower(t)
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				typ = strings.ToLower(s)
				break
			}
		}
	}
	if typ == "" {
		if _, ok := m["properties"]; ok {
			typ = "object"
		}
	}
	switch typ {
	case "object":
		props, _ := m["properties"].(map[string]any)
		var keys []string
		seen := map[string]bool{}
		if po, ok := m["propertyOrdering"].([]any); ok {
			for _, k := range po {
				if s, ok := k.(string); ok && props[s] != nil && !seen[s] {
					keys = append(keys, s)
					seen[s] = true
				}
			}
		}
		var rest []string
		for k := range props {
			if !seen[k] {
				rest = append(rest, k)
			}
		}
		sort.Strings(rest)
		obj := orderedObject{}
		for _, k := range append(keys, rest...) {
			obj = append(obj, kv{k, sampleValue(props[k], root, k, depth+1)})
		}
		return obj
	case "array":
		return []any{sampleValue(m["items"], root, name, depth+1)}
	case "integer":
		return 1
	case "number":
		return 1
	case "boolean":
		return true
	case "null":
		return nil
	}
	return sampleString(name, m)
}

func sampleString(name string, m map[string]any) string {
	if f, _ := m["format"].(string); f != "" {
		switch f {
		case "date":
			return "2025-01-01"
		case "date-time":
			return "2025-01-01T00:00:00Z"
		case "email":
			return "user@example.com"
		case "uri", "url":
			return "https://example.com"
		}
	}
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "location"), strings.Contains(n, "city"):
		return "Tokyo"
	case strings.Contains(n, "email"):
		return "user@example.com"
	case strings.Contains(n, "url"), strings.Contains(n, "uri"):
		return "https://example.com"
	case strings.Contains(n, "date"):
		return "2025-01-01"
	case strings.Contains(n, "name"):
		return "Alice"
	case strings.Contains(n, "unit"):
		return "celsius"
	}
	return "x"
}

// finalize fills what the server owns: model version, response id,
// candidate indexes and roles, and usage when missing.
func (c *call) finalize(resp *GenerateResponse, req *GenerateRequest) {
	if resp.ModelVersion == "" {
		resp.ModelVersion = c.model.ID()
	}
	if resp.ResponseID == "" {
		resp.ResponseID = responseID(c.s.nextSeq(), c.body)
	}
	for i, cand := range resp.Candidates {
		if cand == nil {
			resp.Candidates[i] = &Candidate{}
			cand = resp.Candidates[i]
		}
		cand.Index = i
		if cand.Content != nil {
			if cand.Content.Role == "" {
				cand.Content.Role = "model"
			}
			for _, p := range cand.Content.Parts {
				if p != nil && p.FunctionCall != nil && p.FunctionCall.Args == nil {
					p.FunctionCall.Args = map[string]any{}
				}
			}
		}
	}
	if resp.UsageMetadata == nil {
		resp.UsageMetadata = c.usage(resp, req)
	}
}

func (c *call) usage(resp *GenerateResponse, req *GenerateRequest) *UsageMetadata {
	prompt := promptTokens(req)
	u := &UsageMetadata{PromptTokenCount: prompt.total(), PromptTokensDetails: prompt.details()}
	if len(resp.Candidates) > 0 {
		var cands tokenCounts
		for _, cand := range resp.Candidates {
			if cand.Content == nil {
				continue
			}
			for _, p := range cand.Content.Parts {
				if p != nil && !p.Thought {
					cands.addPart(p)
				}
			}
		}
		u.CandidatesTokenCount = cands.total()
		if cands.total() != cands[modText] {
			u.CandidatesTokensDetails = cands.details()
		}
		gc := req.GenerationConfig
		if gc == nil {
			gc = &GenerationConfig{}
		}
		if c.thinks(gc) {
			u.ThoughtsTokenCount = 24
			if tc := gc.ThinkingConfig; tc != nil && tc.ThinkingBudget != nil && *tc.ThinkingBudget > 0 {
				u.ThoughtsTokenCount = min(24, *tc.ThinkingBudget)
			}
		}
	}
	u.TotalTokenCount = u.PromptTokenCount + u.CandidatesTokenCount + u.ThoughtsTokenCount + u.ToolUsePromptTokenCount
	return u
}

// responseID is a deterministic, Google-looking 23-character id.
func responseID(seq uint64, body []byte) string {
	seed := fnv64(string(body)) ^ seq*0x9e3779b97f4a7c15
	b := make([]byte, 17)
	for i := range b {
		seed = splitmix(seed)
		b[i] = byte(seed)
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	return strings.NewReplacer("-", "a", "_", "b").Replace(id)
}

// stream writes resp as streamGenerateContent events: SSE with ?alt=sse,
// else one incrementally written JSON array.
func (c *call) stream(resp *GenerateResponse) {
	events := splitStream(resp, c.s.opts.StreamEvents)
	sse := c.r.URL.Query().Get("alt") == "sse"
	breaking := c.beh.Kind == BreakStream && c.beh.appliesTo(c.model.ID())
	if !c.sleep(c.latency) {
		return
	}
	if sse {
		c.setHeaders("text/event-stream")
	} else {
		c.setHeaders("application/json; charset=UTF-8")
	}
	c.w.WriteHeader(200)
	rc := http.NewResponseController(c.w)
	_ = rc.Flush()
	for i, ev := range events {
		if breaking && i >= c.beh.BreakAfter {
			c.abort()
		}
		if i > 0 && !c.sleep(c.s.opts.EventInterval) {
			return
		}
		var chunk []byte
		switch {
		case sse:
			chunk = append(append([]byte("data: "), sseLine(marshalCompact(ev))...), "\r\n\r\n"...)
		case i == 0:
			chunk = append([]byte("["), marshalPretty(ev)...)
		default:
			chunk = append([]byte("\n,\r\n"), marshalPretty(ev)...)
		}
		if _, err := c.w.Write(chunk); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
	if breaking {
		c.abort()
	}
	if !sse {
		_, _ = c.w.Write([]byte("\n]"))
	}
}

// splitStream cuts a full answer into stream events: thoughts in the first
// event, text spread over n events, finish data on the last, usage on
// every event with a running candidatesTokenCount. Answers with
// non-text parts (function calls, media) are a single event.
func splitStream(full *GenerateResponse, n int) []*GenerateResponse {
	events := n
	longest := 0
	for _, cand := range full.Candidates {
		if cand.Content == nil {
			continue
		}
		for _, p := range cand.Content.Parts {
			if p == nil {
				continue
			}
			if !isPlainText(p) && !p.Thought {
				events = 1
			}
			if isPlainText(p) {
				longest = max(longest, utf8.RuneCountInString(p.Text))
			}
		}
	}
	events = min(events, max(longest, 1))
	if len(full.Candidates) == 0 || events <= 1 {
		return []*GenerateResponse{full}
	}
	out := make([]*GenerateResponse, events)
	for e := range out {
		out[e] = &GenerateResponse{ModelVersion: full.ModelVersion, ResponseID: full.ResponseID}
		if e == 0 {
			out[e].PromptFeedback = full.PromptFeedback
		}
	}
	for _, cand := range full.Candidates {
		perEvent := make([][]*Part, events)
		if cand.Content != nil {
			for _, p := range cand.Content.Parts {
				if p == nil {
					continue
				}
				if p.Thought {
					perEvent[0] = append(perEvent[0], p)
					continue
				}
				chunks := splitText(p.Text, events)
				lastNonEmpty := 0
				for e, ch := range chunks {
					if ch != "" {
						lastNonEmpty = e
					}
				}
				for e, ch := range chunks {
					if ch == "" {
						continue
					}
					np := &Part{Text: ch}
					if e == lastNonEmpty {
						np.ThoughtSignature = p.ThoughtSignature
					}
					perEvent[e] = append(perEvent[e], np)
				}
			}
		}
		for e := range out {
			nc := &Candidate{Index: cand.Index}
			if len(perEvent[e]) > 0 {
				role := "model"
				if cand.Content != nil && cand.Content.Role != "" {
					role = cand.Content.Role
				}
				nc.Content = &Content{Parts: perEvent[e], Role: role}
			}
			if e == events-1 {
				nc.FinishReason, nc.FinishMessage = cand.FinishReason, cand.FinishMessage
				nc.SafetyRatings, nc.CitationMetadata = cand.SafetyRatings, cand.CitationMetadata
				nc.TokenCount, nc.GroundingMetadata = cand.TokenCount, cand.GroundingMetadata
				nc.AvgLogprobs, nc.URLContextMetadata = cand.AvgLogprobs, cand.URLContextMetadata
			}
			out[e].Candidates = append(out[e].Candidates, nc)
		}
	}
	if u := full.UsageMetadata; u != nil {
		for e := range out {
			ue := *u
			ue.CandidatesTokenCount = u.CandidatesTokenCount * (e + 1) / events
			ue.TotalTokenCount = u.TotalTokenCount - u.CandidatesTokenCount + ue.CandidatesTokenCount
			if e < events-1 {
				ue.CandidatesTokensDetails = nil
			}
			out[e].UsageMetadata = &ue
		}
	}
	return out
}

func isPlainText(p *Part) bool {
	return !p.Thought && p.InlineData == nil && p.FunctionCall == nil && p.FunctionResponse == nil &&
		p.FileData == nil && p.ExecutableCode == nil && p.CodeExecutionResult == nil
}

// splitUnits splits s into words, each keeping the whitespace after it
// (leading whitespace stays with the first word).
func splitUnits(s string) []string {
	var units []string
	start := 0
	inSpace := true
	for i, r := range s {
		space := r == ' ' || r == '\n' || r == '\t' || r == '\r'
		if !space && inSpace && i > 0 && start < i && strings.TrimSpace(s[start:i]) != "" {
			units = append(units, s[start:i])
			start = i
		}
		inSpace = space
	}
	if start < len(s) {
		units = append(units, s[start:])
	}
	return units
}

// splitText cuts s into exactly n pieces (some possibly empty) whose
// concatenation is s: by words when there are enough, else by runes.
func splitText(s string, n int) []string {
	out := make([]string, n)
	units := splitUnits(s)
	if len(units) < n {
		units = nil
		for _, r := range s {
			units = append(units, string(r))
		}
	}
	if len(units) == 0 {
		return out
	}
	for i, u := range units {
		e := i * n / len(units)
		if len(units) < n {
			e = i
		}
		out[e] += u
	}
	return out
}
