package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ChatCompletionRequest is an OpenAI chat completions request body.
// Decode it with ParseChatRequest (or json.Unmarshal, which uses the same
// checks) to get errors that name the offending field.
type ChatCompletionRequest struct {
	// Model is the model name, possibly with a gateway suffix
	// ("-search", "-image", "-non-thinking").
	Model string `json:"model"`
	// Messages is the conversation.
	Messages []Message `json:"messages"`
	// Stream asks for server-sent events.
	Stream bool `json:"stream,omitempty"`
	// StreamOptions tunes the stream (include_usage).
	StreamOptions *StreamOptions `json:"stream_options,omitempty"`
	// Temperature, TopP, TopK (an extension many clients send),
	// PresencePenalty and FrequencyPenalty are sampling options; nil means
	// not sent.
	Temperature      *float64 `json:"temperature,omitempty"`
	TopP             *float64 `json:"top_p,omitempty"`
	TopK             *int     `json:"top_k,omitempty"`
	PresencePenalty  *float64 `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"`
	// N is the number of choices (Gemini candidateCount).
	N *int `json:"n,omitempty"`
	// Stop is a string or a list of strings; decoded into a list.
	Stop StringList `json:"stop,omitempty"`
	// MaxTokens and MaxCompletionTokens cap the answer; the latter wins.
	MaxTokens           *int `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int `json:"max_completion_tokens,omitempty"`
	// Seed makes sampling repeatable.
	Seed *int64 `json:"seed,omitempty"`
	// Logprobs and TopLogprobs ask for token log probabilities.
	Logprobs    *bool `json:"logprobs,omitempty"`
	TopLogprobs *int  `json:"top_logprobs,omitempty"`
	// ResponseFormat asks for JSON output.
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	// Tools declares functions; ToolChoice steers their use.
	Tools      []Tool      `json:"tools,omitempty"`
	ToolChoice *ToolChoice `json:"tool_choice,omitempty"`
	// ParallelToolCalls is accepted and ignored: Gemini decides itself.
	ParallelToolCalls *bool `json:"parallel_tool_calls,omitempty"`
	// ReasoningEffort is none, minimal, low, medium or high.
	ReasoningEffort string `json:"reasoning_effort,omitempty"`
	// User is accepted and ignored.
	User string `json:"user,omitempty"`
	// Google holds the Gemini extensions of Google's own OpenAI-compatible
	// layer, sent as "extra_body": {"google": {…}}.
	Google *GoogleExtensions `json:"-"`
}

// GoogleExtensions are the Gemini options Google's OpenAI-compatible layer
// accepts in "extra_body": {"google": {…}}.
type GoogleExtensions struct {
	// ThinkingConfig is Gemini's thinkingConfig (snake_case or camelCase
	// fields), sent as is. It overrides reasoning_effort.
	ThinkingConfig json.RawMessage `json:"thinking_config,omitempty"`
	// CachedContent names a cachedContents resource to use.
	CachedContent string `json:"cached_content,omitempty"`
}

// StreamOptions are the chat stream options.
type StreamOptions struct {
	// IncludeUsage adds a final chunk with usage and no choices.
	IncludeUsage bool `json:"include_usage,omitempty"`
}

// StringList is a JSON string or array of strings.
type StringList []string

// UnmarshalJSON accepts a string, an array of strings or null.
func (s *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = StringList{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("must be a string or an array of strings")
	}
	*s = list
	return nil
}

// Message is one chat message.
type Message struct {
	// Role is system, developer, user, assistant, tool or function.
	Role string `json:"role"`
	// Content is the message text or parts; may be null for assistant
	// messages with tool calls.
	Content Content `json:"content"`
	// Name is the participant's name (for role function: the function's).
	Name string `json:"name,omitempty"`
	// ToolCalls are an assistant's function calls.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID links a tool message to its call.
	ToolCallID string `json:"tool_call_id,omitempty"`
}

// Content is a message's content: a plain string, a list of parts, or
// null.
type Content struct {
	// Text is the content when it was a string.
	Text string
	// Parts is the content when it was an array.
	Parts []ContentPart
	// IsParts reports that the content was an array.
	IsParts bool
	// IsNull reports that the content was absent or null.
	IsNull bool
}

// MarshalJSON writes a string, an array or null.
func (c Content) MarshalJSON() ([]byte, error) {
	switch {
	case c.IsParts:
		if c.Parts == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(c.Parts)
	case c.IsNull && c.Text == "":
		return []byte("null"), nil
	}
	return json.Marshal(c.Text)
}

// UnmarshalJSON accepts a string, an array of parts or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	p, err := parseContent(b, "content")
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// ContentPart is one part of a message's content.
type ContentPart struct {
	// Type is text, image_url, input_audio, file or refusal.
	Type string `json:"type"`
	// Text is the text of a text part.
	Text string `json:"text,omitempty"`
	// ImageURL is an image_url part's image.
	ImageURL *ImageURL `json:"image_url,omitempty"`
	// InputAudio is an input_audio part's audio.
	InputAudio *InputAudio `json:"input_audio,omitempty"`
	// File is a file part's file.
	File *File `json:"file,omitempty"`
	// Refusal is a refusal part's text.
	Refusal string `json:"refusal,omitempty"`
}

// ImageURL is an image given by URL (data:, http: or https:).
type ImageURL struct {
	// URL is the image's address or a data URL.
	URL string `json:"url"`
	// Detail is accepted and ignored.
	Detail string `json:"detail,omitempty"`
}

// InputAudio is base64 audio with its format (wav, mp3, …).
type InputAudio struct {
	// Data is base64.
	Data string `json:"data"`
	// Format is the container, e.g. "wav" or "mp3".
	Format string `json:"format"`
}

// File is a file part: inline data as a data URL, or a file id.
type File struct {
	// FileData is a data URL ("data:application/pdf;base64,…") or bare
	// base64 (PDF assumed unless Filename says otherwise).
	FileData string `json:"file_data,omitempty"`
	// FileID is a Gemini Files API name ("files/abc") or URI.
	FileID string `json:"file_id,omitempty"`
	// Filename is the file's name.
	Filename string `json:"filename,omitempty"`
}

// ToolCall is a function call made by the assistant.
type ToolCall struct {
	// Index is the call's position (streams only).
	Index *int `json:"index,omitempty"`
	// ID identifies the call; see the package documentation for its
	// encoding.
	ID string `json:"id,omitempty"`
	// Type is "function".
	Type string `json:"type,omitempty"`
	// Function is the call.
	Function FunctionCall `json:"function"`
}

// FunctionCall is a function name and its JSON-encoded arguments.
type FunctionCall struct {
	// Name is the function's name.
	Name string `json:"name,omitempty"`
	// Arguments is a JSON object, as a string.
	Arguments string `json:"arguments"`
}

// Tool is a tool declaration; only type "function" exists.
type Tool struct {
	// Type is "function".
	Type string `json:"type"`
	// Function declares the function.
	Function FunctionDefinition `json:"function"`
}

// FunctionDefinition declares a function.
type FunctionDefinition struct {
	// Name is the function's name.
	Name string `json:"name"`
	// Description tells the model what it does.
	Description string `json:"description,omitempty"`
	// Parameters is a JSON Schema object.
	Parameters json.RawMessage `json:"parameters,omitempty"`
	// Strict is accepted and ignored.
	Strict *bool `json:"strict,omitempty"`
}

// ToolChoice is "none", "auto", "required", or a named function.
type ToolChoice struct {
	// Mode is none, auto, required, or "function" for a named function.
	Mode string
	// Function is the named function when Mode is "function".
	Function string
}

// MarshalJSON writes the string or object form.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	if t.Mode == "function" {
		return json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": t.Function}})
	}
	return json.Marshal(t.Mode)
}

// UnmarshalJSON accepts both forms.
func (t *ToolChoice) UnmarshalJSON(b []byte) error {
	tc, err := parseToolChoice(b, "tool_choice")
	if err != nil {
		return err
	}
	*t = *tc
	return nil
}

// ResponseFormat asks for text, a JSON object or JSON matching a schema.
type ResponseFormat struct {
	// Type is text, json_object or json_schema.
	Type string `json:"type"`
	// JSONSchema is the schema for type json_schema.
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is response_format.json_schema.
type JSONSchema struct {
	// Name names the schema.
	Name string `json:"name"`
	// Description describes it.
	Description string `json:"description,omitempty"`
	// Schema is the JSON Schema.
	Schema json.RawMessage `json:"schema,omitempty"`
	// Strict is accepted and ignored.
	Strict *bool `json:"strict,omitempty"`
}

// UnmarshalJSON decodes with the same checks as ParseChatRequest.
func (r *ChatCompletionRequest) UnmarshalJSON(b []byte) error {
	p, err := ParseChatRequest(b)
	if err != nil {
		return err
	}
	*r = *p
	return nil
}

// rawChat is the first decoding pass: scalars typed, polymorphic fields
// raw so that errors can name the exact field.
type rawChat struct {
	Model               *string         `json:"model"`
	Messages            json.RawMessage `json:"messages"`
	Stream              *bool           `json:"stream"`
	StreamOptions       *StreamOptions  `json:"stream_options"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *float64        `json:"top_k"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	N                   *float64        `json:"n"`
	Stop                json.RawMessage `json:"stop"`
	MaxTokens           *float64        `json:"max_tokens"`
	MaxCompletionTokens *float64        `json:"max_completion_tokens"`
	Seed                *float64        `json:"seed"`
	Logprobs            *bool           `json:"logprobs"`
	TopLogprobs         *float64        `json:"top_logprobs"`
	ResponseFormat      json.RawMessage `json:"response_format"`
	Tools               json.RawMessage `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls"`
	ReasoningEffort     *string         `json:"reasoning_effort"`
	User                *string         `json:"user"`
	Functions           json.RawMessage `json:"functions"`
	FunctionCall        json.RawMessage `json:"function_call"`
	ExtraBody           *struct {
		Google *GoogleExtensions `json:"google"`
	} `json:"extra_body"`
}

// jsonError turns a decoding error into a 400 naming the field.
func jsonError(err error, prefix string) *Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		param := te.Field
		if prefix != "" {
			if param == "" {
				param = prefix
			} else {
				param = prefix + "." + param
			}
		}
		return badRequest(param, "Invalid type for '%s': expected %s, but got %s.", param, jsonKind(te.Type.Kind().String()), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return badRequest(prefix, "We could not parse the JSON body of your request: syntax error at byte %d: %s.", se.Offset, se.Error())
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return badRequest(prefix, "We could not parse the JSON body of your request: %s.", err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "float64", "float32", "int", "int64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "ptr", "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	}
	return k
}

func isNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// ParseChatRequest decodes and checks a chat completions body. Errors are
// *Error with status 400 and Param naming the offending field (for
// example "messages[2].content[0].image_url").
func ParseChatRequest(body []byte) (*ChatCompletionRequest, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil, badRequest("", "The request body is empty; expected a JSON object.")
	}
	if !json.Valid(b) {
		var v any
		return nil, jsonError(json.Unmarshal(b, &v), "")
	}
	if b[0] != '{' {
		return nil, badRequest("", "The request body must be a JSON object.")
	}
	var raw rawChat
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, jsonError(err, "")
	}
	req := &ChatCompletionRequest{}
	if raw.Model == nil || *raw.Model == "" {
		return nil, badRequest("model", "you must provide a model parameter")
	}
	req.Model = *raw.Model
	if isNull(raw.Messages) {
		return nil, badRequest("messages", "Missing required parameter: 'messages'.")
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(raw.Messages, &msgs); err != nil {
		return nil, badRequest("messages", "Invalid type for 'messages': expected an array of objects.")
	}
	if len(msgs) == 0 {
		return nil, badRequest("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.")
	}
	req.Messages = make([]Message, len(msgs))
	for i, m := range msgs {
		if err := parseMessage(m, fmt.Sprintf("messages[%d]", i), &req.Messages[i]); err != nil {
			return nil, err
		}
	}
	if raw.Stream != nil {
		req.Stream = *raw.Stream
	}
	req.StreamOptions = raw.StreamOptions
	req.Temperature, req.TopP = raw.Temperature, raw.TopP
	req.PresencePenalty, req.FrequencyPenalty = raw.PresencePenalty, raw.FrequencyPenalty
	if err := checkRange("temperature", req.Temperature, 0, 2); err != nil {
		return nil, err
	}
	if err := checkRange("top_p", req.TopP, 0, 1); err != nil {
		return nil, err
	}
	if err := checkRange("presence_penalty", req.PresencePenalty, -2, 2); err != nil {
		return nil, err
	}
	if err := checkRange("frequency_penalty", req.FrequencyPenalty, -2, 2); err != nil {
		return nil, err
	}
	var err error
	if req.TopK, err = intParam("top_k", raw.TopK, 1, 1<<20); err != nil {
		return nil, err
	}
	if req.N, err = intParam("n", raw.N, 1, 8); err != nil {
		return nil, err
	}
	if req.MaxTokens, err = intParam("max_tokens", raw.MaxTokens, 1, 1<<30); err != nil {
		return nil, err
	}
	if req.MaxCompletionTokens, err = intParam("max_completion_tokens", raw.MaxCompletionTokens, 1, 1<<30); err != nil {
		return nil, err
	}
	if req.TopLogprobs, err = intParam("top_logprobs", raw.TopLogprobs, 0, 20); err != nil {
		return nil, err
	}
	if raw.Seed != nil {
		s := *raw.Seed
		if s != float64(int64(s)) {
			return nil, badRequest("seed", "Invalid 'seed': expected an integer.")
		}
		v := int64(s)
		req.Seed = &v
	}
	req.Logprobs = raw.Logprobs
	if !isNull(raw.Stop) {
		if err := json.Unmarshal(raw.Stop, &req.Stop); err != nil {
			return nil, badRequest("stop", "Invalid type for 'stop': expected a string or an array of strings.")
		}
		if len(req.Stop) > 5 {
			return nil, badRequest("stop", "Invalid 'stop': array too long. Expected at most 5 sequences (Gemini's limit), got %d.", len(req.Stop))
		}
	}
	if !isNull(raw.ResponseFormat) {
		rf, err := parseResponseFormat(raw.ResponseFormat)
		if err != nil {
			return nil, err
		}
		req.ResponseFormat = rf
	}
	if !isNull(raw.Tools) {
		if req.Tools, err = parseTools(raw.Tools, "tools"); err != nil {
			return nil, err
		}
	} else if !isNull(raw.Functions) {
		// Legacy "functions": same declarations without the wrapper.
		var fns []json.RawMessage
		if json.Unmarshal(raw.Functions, &fns) != nil {
			return nil, badRequest("functions", "Invalid type for 'functions': expected an array of objects.")
		}
		for i, f := range fns {
			var fd FunctionDefinition
			if json.Unmarshal(f, &fd) != nil || fd.Name == "" {
				return nil, badRequest(fmt.Sprintf("functions[%d].name", i), "Missing required parameter: 'functions[%d].name'.", i)
			}
			req.Tools = append(req.Tools, Tool{Type: "function", Function: fd})
		}
	}
	if !isNull(raw.ToolChoice) {
		if req.ToolChoice, err = parseToolChoice(raw.ToolChoice, "tool_choice"); err != nil {
			return nil, err
		}
	} else if !isNull(raw.FunctionCall) {
		if req.ToolChoice, err = parseToolChoice(raw.FunctionCall, "function_call"); err != nil {
			return nil, err
		}
	}
	if req.ToolChoice != nil && req.ToolChoice.Mode == "function" {
		found := false
		for _, t := range req.Tools {
			found = found || t.Function.Name == req.ToolChoice.Function
		}
		if !found {
			return nil, badRequest("tool_choice", "Invalid value for 'tool_choice': function %q is not among the declared tools.", req.ToolChoice.Function)
		}
	}
	req.ParallelToolCalls = raw.ParallelToolCalls
	if raw.ReasoningEffort != nil {
		switch e := strings.ToLower(*raw.ReasoningEffort); e {
		case "", "none", "minimal", "low", "medium", "high":
			req.ReasoningEffort = e
		default:
			return nil, badRequest("reasoning_effort", "Invalid value for 'reasoning_effort': %q. Supported values are: 'none', 'minimal', 'low', 'medium' and 'high'.", *raw.ReasoningEffort)
		}
	}
	if raw.User != nil {
		req.User = *raw.User
	}
	if raw.ExtraBody != nil && raw.ExtraBody.Google != nil {
		g := raw.ExtraBody.Google
		if len(g.ThinkingConfig) > 0 && string(g.ThinkingConfig) != "null" {
			var obj map[string]any
			if json.Unmarshal(g.ThinkingConfig, &obj) != nil || obj == nil {
				return nil, badRequest("extra_body.google.thinking_config", "Invalid 'extra_body.google.thinking_config': expected an object.")
			}
		}
		req.Google = g
	}
	return req, nil
}

func checkRange(name string, v *float64, lo, hi float64) error {
	if v != nil && (*v < lo || *v > hi) {
		return badRequest(name, "Invalid '%s': %s is outside the range [%s, %s].", name, strconv.FormatFloat(*v, 'g', -1, 64),
			strconv.FormatFloat(lo, 'g', -1, 64), strconv.FormatFloat(hi, 'g', -1, 64))
	}
	return nil
}

func intParam(name string, v *float64, lo, hi int) (*int, error) {
	if v == nil {
		return nil, nil
	}
	f := *v
	if f != float64(int64(f)) {
		return nil, badRequest(name, "Invalid type for '%s': expected an integer, but got a decimal number.", name)
	}
	if f < float64(lo) || f > float64(hi) {
		return nil, badRequest(name, "Invalid '%s': %d is outside the range [%d, %d].", name, int64(f), lo, hi)
	}
	n := int(f)
	return &n, nil
}

func parseMessage(b []byte, path string, m *Message) error {
	var raw struct {
		Role       *string         `json:"role"`
		Content    json.RawMessage `json:"content"`
		Name       *string         `json:"name"`
		ToolCalls  json.RawMessage `json:"tool_calls"`
		ToolCallID *string         `json:"tool_call_id"`
		// Legacy assistant function_call.
		FunctionCall *FunctionCall `json:"function_call"`
	}
	if bytes.TrimSpace(b)[0] != '{' {
		return badRequest(path, "Invalid type for '%s': expected an object.", path)
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return jsonError(err, path)
	}
	if raw.Role == nil {
		return badRequest(path+".role", "Missing required parameter: '%s.role'.", path)
	}
	m.Role = *raw.Role
	switch m.Role {
	case "system", "developer", "user", "assistant", "tool", "function":
	default:
		return badRequest(path+".role", "Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", m.Role)
	}
	c, err := parseContent(raw.Content, path+".content")
	if err != nil {
		return err
	}
	m.Content = c
	if raw.Name != nil {
		m.Name = *raw.Name
	}
	if raw.ToolCallID != nil {
		m.ToolCallID = *raw.ToolCallID
	}
	if !isNull(raw.ToolCalls) {
		var calls []json.RawMessage
		if json.Unmarshal(raw.ToolCalls, &calls) != nil {
			return badRequest(path+".tool_calls", "Invalid type for '%s.tool_calls': expected an array of objects.", path)
		}
		for i, cb := range calls {
			p := fmt.Sprintf("%s.tool_calls[%d]", path, i)
			var tc ToolCall
			if bytes.TrimSpace(cb)[0] != '{' {
				return badRequest(p, "Invalid type for '%s': expected an object.", p)
			}
			if err := json.Unmarshal(cb, &tc); err != nil {
				return jsonError(err, p)
			}
			if tc.Function.Name == "" {
				return badRequest(p+".function.name", "Missing required parameter: '%s.function.name'.", p)
			}
			if a := strings.TrimSpace(tc.Function.Arguments); a != "" && !json.Valid([]byte(a)) {
				return badRequest(p+".function.arguments", "Invalid '%s.function.arguments': not valid JSON.", p)
			}
			m.ToolCalls = append(m.ToolCalls, tc)
		}
	}
	if raw.FunctionCall != nil && raw.FunctionCall.Name != "" && len(m.ToolCalls) == 0 {
		m.ToolCalls = []ToolCall{{Type: "function", Function: *raw.FunctionCall}}
	}
	switch m.Role {
	case "tool":
		if m.ToolCallID == "" {
			return badRequest(path+".tool_call_id", "Missing required parameter: '%s.tool_call_id'.", path)
		}
	case "function":
		if m.Name == "" {
			return badRequest(path+".name", "Missing required parameter: '%s.name'.", path)
		}
	case "user", "system", "developer":
		if c.IsNull {
			return badRequest(path+".content", "Missing required parameter: '%s.content'.", path)
		}
	}
	return nil
}

func parseContent(b []byte, path string) (Content, error) {
	var c Content
	b = bytes.TrimSpace(b)
	if isNull(b) {
		c.IsNull = true
		return c, nil
	}
	switch b[0] {
	case '"':
		if err := json.Unmarshal(b, &c.Text); err != nil {
			return c, jsonError(err, path)
		}
		return c, nil
	case '[':
	default:
		return c, badRequest(path, "Invalid type for '%s': expected one of a string or array of objects.", path)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return c, badRequest(path, "Invalid type for '%s': expected one of a string or array of objects.", path)
	}
	c.IsParts = true
	c.Parts = make([]ContentPart, len(parts))
	for i, pb := range parts {
		p := fmt.Sprintf("%s[%d]", path, i)
		if err := parsePart(pb, p, &c.Parts[i]); err != nil {
			return c, err
		}
	}
	return c, nil
}

func parsePart(b []byte, path string, part *ContentPart) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		// Some clients send bare strings inside the array.
		part.Type = "text"
		return json.Unmarshal(b, &part.Text)
	}
	if len(b) == 0 || b[0] != '{' {
		return badRequest(path, "Invalid type for '%s': expected an object.", path)
	}
	var raw struct {
		Type       *string         `json:"type"`
		Text       *string         `json:"text"`
		ImageURL   json.RawMessage `json:"image_url"`
		InputAudio json.RawMessage `json:"input_audio"`
		File       json.RawMessage `json:"file"`
		Refusal    *string         `json:"refusal"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return jsonError(err, path)
	}
	if raw.Type == nil {
		return badRequest(path+".type", "Missing required parameter: '%s.type'.", path)
	}
	part.Type = *raw.Type
	switch part.Type {
	case "text", "input_text", "output_text":
		part.Type = "text"
		if raw.Text == nil {
			return badRequest(path+".text", "Missing required parameter: '%s.text'.", path)
		}
		part.Text = *raw.Text
	case "image_url", "input_image":
		part.Type = "image_url"
		p := path + ".image_url"
		rb := bytes.TrimSpace(raw.ImageURL)
		if isNull(rb) {
			return badRequest(p, "Missing required parameter: '%s'.", p)
		}
		part.ImageURL = &ImageURL{}
		if rb[0] == '"' {
			json.Unmarshal(rb, &part.ImageURL.URL)
		} else if err := json.Unmarshal(rb, part.ImageURL); err != nil {
			return jsonError(err, p)
		}
		if part.ImageURL.URL == "" {
			return badRequest(p+".url", "Missing required parameter: '%s.url'.", p)
		}
	case "input_audio":
		p := path + ".input_audio"
		if isNull(raw.InputAudio) {
			return badRequest(p, "Missing required parameter: '%s'.", p)
		}
		part.InputAudio = &InputAudio{}
		if err := json.Unmarshal(raw.InputAudio, part.InputAudio); err != nil {
			return jsonError(err, p)
		}
		if part.InputAudio.Data == "" {
			return badRequest(p+".data", "Missing required parameter: '%s.data'.", p)
		}
	case "file":
		p := path + ".file"
		if isNull(raw.File) {
			return badRequest(p, "Missing required parameter: '%s'.", p)
		}
		part.File = &File{}
		if err := json.Unmarshal(raw.File, part.File); err != nil {
			return jsonError(err, p)
		}
		if part.File.FileData == "" && part.File.FileID == "" {
			return badRequest(p, "Invalid '%s': one of file_data or file_id is required.", p)
		}
	case "refusal":
		if raw.Refusal != nil {
			part.Refusal = *raw.Refusal
		}
	default:
		return badRequest(path+".type", "Invalid value: '%s'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal' and 'file'.", part.Type)
	}
	return nil
}

func parseTools(b []byte, path string) ([]Tool, error) {
	var raws []json.RawMessage
	if json.Unmarshal(b, &raws) != nil {
		return nil, badRequest(path, "Invalid type for '%s': expected an array of objects.", path)
	}
	tools := make([]Tool, 0, len(raws))
	seen := map[string]bool{}
	for i, tb := range raws {
		p := fmt.Sprintf("%s[%d]", path, i)
		if len(bytes.TrimSpace(tb)) == 0 || bytes.TrimSpace(tb)[0] != '{' {
			return nil, badRequest(p, "Invalid type for '%s': expected an object.", p)
		}
		var t Tool
		if err := json.Unmarshal(tb, &t); err != nil {
			return nil, jsonError(err, p)
		}
		if t.Type == "" {
			t.Type = "function"
		}
		if t.Type != "function" {
			return nil, badRequest(p+".type", "Invalid value: '%s'. Supported values are: 'function'.", t.Type)
		}
		if t.Function.Name == "" {
			return nil, badRequest(p+".function.name", "Missing required parameter: '%s.function.name'.", p)
		}
		if !validFunctionName(t.Function.Name) {
			return nil, badRequest(p+".function.name", "Invalid '%s.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_.:-]{1,64}$' and starts with a letter or an underscore.", p)
		}
		if seen[t.Function.Name] {
			continue // duplicate declarations are dropped, as gemini-balance does
		}
		seen[t.Function.Name] = true
		if ps := bytes.TrimSpace(t.Function.Parameters); len(ps) > 0 && string(ps) != "null" && ps[0] != '{' {
			return nil, badRequest(p+".function.parameters", "Invalid type for '%s.function.parameters': expected an object.", p)
		}
		tools = append(tools, t)
	}
	return tools, nil
}

func validFunctionName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	c := s[0]
	if !(c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z')) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '.' || c == ':' || c == '-' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')) {
			return false
		}
	}
	return true
}

func parseToolChoice(b []byte, path string) (*ToolChoice, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		json.Unmarshal(b, &s)
		switch s {
		case "none", "auto", "required":
			return &ToolChoice{Mode: s}, nil
		case "any":
			return &ToolChoice{Mode: "required"}, nil
		}
		return nil, badRequest(path, "Invalid value: '%s'. Supported values are: 'none', 'auto' and 'required'.", s)
	}
	var obj struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Function *struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &obj) != nil {
		return nil, badRequest(path, "Invalid type for '%s': expected a string or an object.", path)
	}
	name := obj.Name
	if obj.Function != nil {
		name = obj.Function.Name
	}
	if name == "" {
		return nil, badRequest(path+".function.name", "Missing required parameter: '%s.function.name'.", path)
	}
	return &ToolChoice{Mode: "function", Function: name}, nil
}

func parseResponseFormat(b []byte) (*ResponseFormat, error) {
	var rf ResponseFormat
	if bytes.TrimSpace(b)[0] != '{' {
		return nil, badRequest("response_format", "Invalid type for 'response_format': expected an object.")
	}
	if err := json.Unmarshal(b, &rf); err != nil {
		return nil, jsonError(err, "response_format")
	}
	switch rf.Type {
	case "text", "json_object":
	case "json_schema":
		if rf.JSONSchema == nil {
			return nil, badRequest("response_format.json_schema", "Missing required parameter: 'response_format.json_schema'.")
		}
		if s := bytes.TrimSpace(rf.JSONSchema.Schema); len(s) > 0 && string(s) != "null" && s[0] != '{' {
			return nil, badRequest("response_format.json_schema.schema", "Invalid type for 'response_format.json_schema.schema': expected an object.")
		}
	default:
		return nil, badRequest("response_format.type", "Invalid value: '%s'. Supported values are: 'text', 'json_object' and 'json_schema'.", rf.Type)
	}
	return &rf, nil
}
