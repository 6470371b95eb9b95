package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/geminibalance/gb/gemini"
)

// Options tune the translation in both directions. The zero value (or a
// nil *Options) is valid.
type Options struct {
	// ShowThinking (SHOW_THINKING_PROCESS) asks thinking models for
	// thought summaries (includeThoughts) and returns them as
	// reasoning_content.
	ShowThinking bool
	// ThinkingBudgetMap (THINKING_BUDGET_MAP) gives a thinkingBudget per
	// model, looked up by the requested name, then the upstream name. It
	// applies when the client sent no reasoning_effort; -1 is dynamic.
	ThinkingBudgetMap map[string]int
	// SafetySettings, a JSON array (SAFETY_SETTINGS), is sent as the
	// request's safetySettings. Nil sends none.
	SafetySettings json.RawMessage
	// FetchImage downloads http(s) media URLs. Nil refuses such URLs
	// with a 400 (data URLs always work).
	FetchImage ImageFetcher
	// Models decides which suffixes a model name carries (see
	// gemini.ModelPolicy.Parse). Nil means gemini.ParseModel's plain rules.
	Models *gemini.ModelPolicy
}

// ToGemini translates a chat request into a Gemini generateContent (or
// streamGenerateContent) body for the model it names. See the package
// documentation for the rules. Errors are *Error (400 naming the field);
// ctx bounds image downloads.
func ToGemini(ctx context.Context, req *ChatCompletionRequest, opts *Options) (model gemini.ModelName, body []byte, err error) {
	if opts == nil {
		opts = &Options{}
	}
	if opts.Models != nil {
		model = opts.Models.Parse(req.Model)
	} else {
		model = gemini.ParseModel(req.Model)
	}
	g := &gRequest{}
	var system []*gPart
	names := map[string]string{} // tool call id → function name
	add := func(role string, parts ...*gPart) {
		if len(parts) == 0 {
			return
		}
		if n := len(g.Contents); n > 0 && g.Contents[n-1].Role == role {
			g.Contents[n-1].Parts = append(g.Contents[n-1].Parts, parts...)
			return
		}
		g.Contents = append(g.Contents, &gContent{Role: role, Parts: parts})
	}
	for i := range req.Messages {
		m := &req.Messages[i]
		path := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer":
			if m.Content.IsParts {
				for j, p := range m.Content.Parts {
					if p.Type != "text" {
						return model, nil, badRequest(fmt.Sprintf("%s.content[%d].type", path, j), "Invalid content part type %q in a %s message: only text is supported.", p.Type, m.Role)
					}
					if p.Text != "" {
						system = append(system, &gPart{Text: p.Text})
					}
				}
			} else if m.Content.Text != "" {
				system = append(system, &gPart{Text: m.Content.Text})
			}
		case "user":
			parts, err := contentParts(ctx, &m.Content, path+".content", opts)
			if err != nil {
				return model, nil, err
			}
			add("user", parts...)
		case "assistant":
			parts, err := contentParts(ctx, &m.Content, path+".content", opts)
			if err != nil {
				return model, nil, err
			}
			var firstCall *gPart
			signed := false
			for j, tc := range m.ToolCalls {
				p := fmt.Sprintf("%s.tool_calls[%d].function.arguments", path, j)
				args, err := argsObject(tc.Function.Arguments, p)
				if err != nil {
					return model, nil, err
				}
				gid, sig := DecodeToolCallID(tc.ID)
				part := &gPart{FunctionCall: &gFunctionCall{ID: gid, Name: tc.Function.Name, Args: args}, ThoughtSignature: sig}
				if firstCall == nil {
					firstCall = part
				}
				signed = signed || sig != ""
				parts = append(parts, part)
				if tc.ID != "" {
					names[tc.ID] = tc.Function.Name
				}
			}
			if firstCall != nil && !signed && isGemini3(model.Upstream) {
				// Gemini 3 refuses a function call turn without its
				// signature. Calls this gateway did not hand out (another
				// model's, or a client's own) have none: Google's
				// documented placeholder lets them through.
				firstCall.ThoughtSignature = SkipThoughtSignature
			}
			add("model", parts...)
		case "tool", "function":
			name := m.Name
			if m.Role == "tool" {
				if n, ok := names[m.ToolCallID]; ok {
					name = n
				}
			}
			if name == "" {
				return model, nil, badRequest(path+".tool_call_id", "Invalid '%s.tool_call_id': no earlier assistant message has a tool call with id %q.", path, m.ToolCallID)
			}
			gid, _ := DecodeToolCallID(m.ToolCallID)
			add("user", &gPart{FunctionResponse: &gFunctionResponse{ID: gid, Name: name, Response: toolResult(&m.Content)}})
		}
	}
	if len(system) > 0 {
		if model.Image || len(g.Contents) == 0 {
			// Image models take no system instruction, and Gemini needs
			// at least one turn: the instructions lead the first user turn.
			if len(g.Contents) > 0 && g.Contents[0].Role == "user" {
				g.Contents[0].Parts = append(system, g.Contents[0].Parts...)
			} else {
				g.Contents = append([]*gContent{{Role: "user", Parts: system}}, g.Contents...)
			}
		} else {
			g.SystemInstruction = &gContent{Parts: system}
		}
	}
	if len(g.Contents) == 0 {
		return model, nil, badRequest("messages", "Invalid 'messages': no message has any content to send.")
	}

	// Tools.
	if len(req.Tools) > 0 {
		decls := make([]gFuncDecl, 0, len(req.Tools))
		for i, t := range req.Tools {
			d := gFuncDecl{Name: t.Function.Name, Description: t.Function.Description}
			if ps := bytes.TrimSpace(t.Function.Parameters); len(ps) > 0 && string(ps) != "null" {
				var schema any
				if err := json.Unmarshal(ps, &schema); err != nil {
					return model, nil, badRequest(fmt.Sprintf("tools[%d].function.parameters", i), "Invalid 'tools[%d].function.parameters': %v.", i, err)
				}
				d.Parameters, d.ParametersJSONSchema = toolParameters(schema)
			}
			decls = append(decls, d)
		}
		g.Tools = append(g.Tools, gTool{FunctionDeclarations: decls})
		if tc := req.ToolChoice; tc != nil {
			cfg := &gToolConfig{}
			switch tc.Mode {
			case "none":
				cfg.FunctionCallingConfig.Mode = "NONE"
			case "auto":
				cfg.FunctionCallingConfig.Mode = "AUTO"
			case "required":
				cfg.FunctionCallingConfig.Mode = "ANY"
			case "function":
				cfg.FunctionCallingConfig.Mode = "ANY"
				cfg.FunctionCallingConfig.AllowedFunctionNames = []string{tc.Function}
			}
			if cfg.FunctionCallingConfig.Mode != "" {
				g.ToolConfig = cfg
			}
		}
	} else if model.Search {
		g.Tools = append(g.Tools, gTool{GoogleSearch: &struct{}{}})
	}
	if len(opts.SafetySettings) > 0 && json.Valid(opts.SafetySettings) {
		g.SafetySettings = opts.SafetySettings
	}

	// Generation config: only what the client sent, plus thinking.
	gc := &gGenConfig{
		Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK, Seed: req.Seed,
		PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty,
		CandidateCount: req.N, MaxOutputTokens: req.MaxTokens,
	}
	if req.MaxCompletionTokens != nil {
		gc.MaxOutputTokens = req.MaxCompletionTokens
	}
	if len(req.Stop) > 0 {
		gc.StopSequences = req.Stop
	}
	if req.Logprobs != nil && *req.Logprobs {
		gc.ResponseLogprobs = true
		gc.Logprobs = req.TopLogprobs
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "json_object":
			gc.ResponseMimeType = "application/json"
		case "json_schema":
			gc.ResponseMimeType = "application/json"
			if s := bytes.TrimSpace(rf.JSONSchema.Schema); len(s) > 0 && string(s) != "null" {
				var schema any
				if err := json.Unmarshal(s, &schema); err != nil {
					return model, nil, badRequest("response_format.json_schema.schema", "Invalid 'response_format.json_schema.schema': %v.", err)
				}
				gc.ResponseJSONSchema = JSONSchemaSubset(schema)
			}
		}
	}
	if model.Image {
		gc.ResponseModalities = []string{"TEXT", "IMAGE"}
	}
	if tc := thinkingConfig(model, req.ReasoningEffort, opts); tc != nil {
		gc.ThinkingConfig = tc
	}
	if req.Google != nil {
		if len(req.Google.ThinkingConfig) > 0 && string(req.Google.ThinkingConfig) != "null" {
			gc.ThinkingConfig = req.Google.ThinkingConfig
		}
		g.CachedContent = req.Google.CachedContent
	}
	if !gc.empty() {
		g.GenerationConfig = gc
	}
	body, err = json.Marshal(g)
	if err != nil {
		return model, nil, badRequest("", "The request could not be encoded: %v.", err)
	}
	return model, body, nil
}

// toolParameters chooses between parameters (OpenAPI subset) and
// parametersJsonSchema for a function's schema.
func toolParameters(schema any) (params, jsonSchema any) {
	m, ok := schema.(map[string]any)
	if !ok {
		return nil, nil
	}
	if props, _ := m["properties"].(map[string]any); len(props) == 0 && m["$ref"] == nil &&
		m["anyOf"] == nil && m["oneOf"] == nil && m["allOf"] == nil {
		ap := m["additionalProperties"]
		if ap == nil || ap == false {
			return nil, nil // a function without parameters
		}
	}
	out, lossless := GeminiSchema(m)
	if lossless {
		return out, nil
	}
	return nil, JSONSchemaSubset(m)
}

// ThinkingModel reports whether a Gemini model name is one that accepts a
// thinkingConfig: Gemini 2.5 and 3 text models (not their image or TTS
// variants), and names containing "thinking".
func ThinkingModel(upstream string) bool {
	n := strings.ToLower(upstream)
	if strings.Contains(n, "image") || strings.Contains(n, "tts") || strings.Contains(n, "embedding") || strings.Contains(n, "audio") {
		return false
	}
	return strings.HasPrefix(n, "gemini-2.5") || strings.HasPrefix(n, "gemini-3") || strings.Contains(n, "thinking")
}

// SkipThoughtSignature is Google's placeholder thoughtSignature for
// function calls whose real signature is unknown; ToGemini sends it on
// Gemini 3 tool-call turns that carry no signature of their own.
const SkipThoughtSignature = "skip_thought_signature_validator"

func isGemini3(n string) bool { return strings.HasPrefix(strings.ToLower(n), "gemini-3") }

// thinkingConfig derives thinkingConfig from the suffix, reasoning_effort
// and the budget map, in that order of precedence.
func thinkingConfig(m gemini.ModelName, effort string, opts *Options) *gThinkng {
	if !ThinkingModel(m.Upstream) {
		return nil
	}
	pro := strings.Contains(m.Upstream, "-pro")
	budget := func(n int) *gThinkng { return &gThinkng{ThinkingBudget: &n} }
	var tc *gThinkng
	switch {
	case m.NonThinking:
		switch {
		case isGemini3(m.Upstream) && pro:
			tc = &gThinkng{ThinkingLevel: "LOW"}
		case isGemini3(m.Upstream):
			tc = &gThinkng{ThinkingLevel: "MINIMAL"}
		case pro:
			tc = budget(128)
		default:
			tc = budget(0)
		}
	case effort != "" && isGemini3(m.Upstream):
		level := map[string]string{"none": "MINIMAL", "minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH"}[effort]
		if pro {
			level = map[string]string{"none": "LOW", "minimal": "LOW", "low": "LOW", "medium": "HIGH", "high": "HIGH"}[effort]
		}
		tc = &gThinkng{ThinkingLevel: level}
	case effort != "":
		n := map[string]int{"none": 0, "minimal": 0, "low": 1024, "medium": 8192, "high": 24576}[effort]
		if n == 0 && pro {
			n = 128
		}
		tc = budget(n)
	default:
		if b, ok := opts.ThinkingBudgetMap[m.Requested]; ok {
			tc = budget(b)
		} else if b, ok := opts.ThinkingBudgetMap[m.Upstream]; ok {
			tc = budget(b)
		}
	}
	if opts.ShowThinking && (tc == nil || tc.ThinkingBudget == nil || *tc.ThinkingBudget != 0) {
		if tc == nil {
			tc = &gThinkng{}
		}
		tc.IncludeThoughts = true
	}
	return tc
}

// argsObject parses tool-call arguments into a JSON object.
func argsObject(s, param string) (json.RawMessage, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid([]byte(s)) {
		return nil, badRequest(param, "Invalid '%s': not valid JSON.", param)
	}
	if s[0] != '{' {
		if s == "null" {
			return json.RawMessage("{}"), nil
		}
		return nil, badRequest(param, "Invalid '%s': expected a JSON object.", param)
	}
	return json.RawMessage(s), nil
}

// toolResult turns a tool message's content into functionResponse.response:
// a JSON object is sent as is, anything else as {"result": value}.
func toolResult(c *Content) json.RawMessage {
	text := c.Text
	if c.IsParts {
		var b strings.Builder
		for _, p := range c.Parts {
			if p.Type == "text" {
				b.WriteString(p.Text)
			}
		}
		text = b.String()
	}
	t := strings.TrimSpace(text)
	if len(t) > 0 && t[0] == '{' && json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	var v any = text
	if len(t) > 0 && (t[0] == '[' || t[0] == '"') && json.Valid([]byte(t)) {
		v = json.RawMessage(t)
	}
	b, _ := json.Marshal(map[string]any{"result": v})
	return b
}

// contentParts translates user or assistant content into Gemini parts.
func contentParts(ctx context.Context, c *Content, path string, opts *Options) ([]*gPart, error) {
	if !c.IsParts {
		if c.Text == "" {
			return nil, nil
		}
		return []*gPart{{Text: c.Text}}, nil
	}
	parts := make([]*gPart, 0, len(c.Parts))
	for i := range c.Parts {
		p := &c.Parts[i]
		pp := fmt.Sprintf("%s[%d]", path, i)
		switch p.Type {
		case "text":
			if p.Text != "" {
				parts = append(parts, &gPart{Text: p.Text})
			}
		case "refusal":
			if p.Refusal != "" {
				parts = append(parts, &gPart{Text: p.Refusal})
			}
		case "image_url":
			gp, err := mediaPart(ctx, p.ImageURL.URL, pp+".image_url", opts)
			if err != nil {
				return nil, err
			}
			parts = append(parts, gp)
		case "input_audio":
			b64, err := cleanBase64(p.InputAudio.Data)
			if err != nil {
				return nil, badRequest(pp+".input_audio.data", "Invalid '%s.input_audio.data': not valid base64.", pp)
			}
			parts = append(parts, &gPart{InlineData: &gBlob{MimeType: audioMime(p.InputAudio.Format), Data: b64}})
		case "file":
			f := p.File
			switch {
			case f.FileData != "":
				var mt, b64 string
				var err error
				if strings.HasPrefix(f.FileData, "data:") {
					mt, b64, err = parseDataURL(f.FileData)
				} else {
					mt = mimeFromName(f.Filename)
					b64, err = cleanBase64(f.FileData)
				}
				if err != nil {
					return nil, badRequest(pp+".file.file_data", "Invalid '%s.file.file_data': %v.", pp, err)
				}
				parts = append(parts, &gPart{InlineData: &gBlob{MimeType: mt, Data: b64}})
			default:
				uri := f.FileID
				if strings.HasPrefix(uri, "files/") {
					uri = "https://generativelanguage.googleapis.com/v1beta/" + uri
				}
				if !strings.HasPrefix(uri, "https://") {
					return nil, badRequest(pp+".file.file_id", "Invalid '%s.file.file_id': expected a Gemini Files API name (files/…) or URI.", pp)
				}
				parts = append(parts, &gPart{FileData: &gFileData{MimeType: mimeFromName(f.Filename), FileURI: uri}})
			}
		}
	}
	return parts, nil
}

func mimeFromName(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".txt"):
		return "text/plain"
	case strings.HasSuffix(n, ".png"):
		return "image/png"
	case strings.HasSuffix(n, ".jpg"), strings.HasSuffix(n, ".jpeg"):
		return "image/jpeg"
	case strings.HasSuffix(n, ".mp3"):
		return "audio/mp3"
	case strings.HasSuffix(n, ".wav"):
		return "audio/wav"
	case strings.HasSuffix(n, ".mp4"):
		return "video/mp4"
	}
	return "application/pdf"
}

// mediaPart turns an image_url into inlineData (data URLs, fetched
// http(s) URLs) or fileData (Gemini Files API and YouTube URLs, which
// Gemini reads itself).
func mediaPart(ctx context.Context, raw, param string, opts *Options) (*gPart, error) {
	if strings.HasPrefix(raw, "data:") {
		mt, b64, err := parseDataURL(raw)
		if err != nil {
			return nil, badRequest(param, "Invalid '%s': %v.", param, err)
		}
		return &gPart{InlineData: &gBlob{MimeType: mt, Data: b64}}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badRequest(param, "Invalid '%s': expected a data URL or an http(s) URL.", param)
	}
	host := strings.ToLower(u.Hostname())
	if host == "generativelanguage.googleapis.com" && strings.Contains(u.Path, "/files/") {
		return &gPart{FileData: &gFileData{FileURI: raw}}, nil
	}
	if host == "youtube.com" || host == "www.youtube.com" || host == "youtu.be" || host == "m.youtube.com" {
		return &gPart{FileData: &gFileData{MimeType: "video/*", FileURI: raw}}, nil
	}
	if opts.FetchImage == nil {
		return nil, badRequest(param, "Invalid '%s': this gateway does not download media URLs; send the image as a data URL.", param)
	}
	mt, data, err := opts.FetchImage(ctx, raw)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, badRequest(param, "Invalid '%s': the image could not be downloaded: %v.", param, err)
	}
	if mt == "" {
		mt = "image/png"
	}
	return &gPart{InlineData: &gBlob{MimeType: normalizeMime(mt), Data: encodeB64(data)}}, nil
}

func (gc *gGenConfig) empty() bool {
	return gc.StopSequences == nil && gc.ResponseMimeType == "" && gc.ResponseJSONSchema == nil &&
		gc.ResponseModalities == nil && gc.CandidateCount == nil && gc.MaxOutputTokens == nil &&
		gc.Temperature == nil && gc.TopP == nil && gc.TopK == nil && gc.Seed == nil &&
		gc.PresencePenalty == nil && gc.FrequencyPenalty == nil && !gc.ResponseLogprobs &&
		gc.Logprobs == nil && gc.ThinkingConfig == nil
}
