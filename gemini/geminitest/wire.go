package geminitest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Bytes is a byte slice that travels as standard base64 in JSON, like the
// proto3 "bytes" fields of the Gemini API (inlineData.data, thoughtSignature).
//
// Decoding is lenient the way Google's JSON parser is: standard and URL-safe
// alphabets, padded or not, are all accepted, so the sentinel signature
// "skip_thought_signature_validator" decodes without error.
type Bytes []byte

// MarshalJSON encodes b as a standard, padded base64 string.
func (b Bytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// UnmarshalJSON decodes a base64 string in any of the common alphabets.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	out, err := decodeBase64(s)
	if err != nil {
		return fmt.Errorf("invalid base64 %q: %w", truncate(s, 40), err)
	}
	*b = out
	return nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if out, err := enc.DecodeString(s); err == nil {
			return out, nil
		}
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return nil, err
}

// GenerateRequest is the body of generateContent and streamGenerateContent
// (and the inner generateContentRequest of countTokens), decoded after the
// server normalised snake_case names to lowerCamelCase.
//
// It is what an Options.Responder receives. The typed fields cover what the
// built-in answers look at; everything else is still reachable through Raw.
type GenerateRequest struct {
	// Model is the model resource name, "models/gemini-2.5-flash". The
	// server fills it from the URL when the body does not carry it.
	Model string `json:"model,omitempty"`
	// Contents is the conversation, oldest turn first.
	Contents []*Content `json:"contents,omitempty"`
	// SystemInstruction is the optional system prompt.
	SystemInstruction *Content `json:"systemInstruction,omitempty"`
	// Tools lists function declarations and built-in tools.
	Tools []*Tool `json:"tools,omitempty"`
	// ToolConfig configures function calling.
	ToolConfig *ToolConfig `json:"toolConfig,omitempty"`
	// SafetySettings holds one threshold per harm category.
	SafetySettings []*SafetySetting `json:"safetySettings,omitempty"`
	// GenerationConfig holds sampling, output-format and thinking options.
	GenerationConfig *GenerationConfig `json:"generationConfig,omitempty"`
	// CachedContent names a cachedContents/... resource.
	CachedContent string `json:"cachedContent,omitempty"`

	// ModelID is the model id from the URL without the "models/" prefix,
	// e.g. "gemini-2.5-flash". Set by the server.
	ModelID string `json:"-"`
	// APIVersion is "v1beta" or "v1". Set by the server.
	APIVersion string `json:"-"`
	// Stream reports whether the request came to streamGenerateContent.
	Stream bool `json:"-"`
	// Key is the API key the request authenticated with.
	Key string `json:"-"`
	// Raw is the whole normalised body (lowerCamelCase keys) as decoded by
	// encoding/json with UseNumber, for fields the typed view lacks.
	Raw map[string]any `json:"-"`
}

// LastUserText returns the concatenated text parts (thoughts excluded) of
// the last content whose role is "user" (or empty), or "" if there is none.
func (r *GenerateRequest) LastUserText() string {
	for i := len(r.Contents) - 1; i >= 0; i-- {
		c := r.Contents[i]
		if c == nil || (c.Role != "" && c.Role != "user") {
			continue
		}
		var texts []string
		for _, p := range c.Parts {
			if p != nil && p.Text != "" && !p.Thought {
				texts = append(texts, p.Text)
			}
		}
		if len(texts) > 0 {
			return strings.Join(texts, " ")
		}
	}
	return ""
}

// Content is one turn of a conversation: a role ("user" or "model") and
// its parts. On output parts come before role, as Google prints them.
type Content struct {
	// Parts are the pieces of the turn; exactly one data field is set on each.
	Parts []*Part `json:"parts,omitempty"`
	// Role is "user" or "model"; it may be empty in single-turn requests.
	Role string `json:"role,omitempty"`
}

// Part is one piece of a Content. Exactly one of the data fields (Text,
// InlineData, FunctionCall, FunctionResponse, FileData, ExecutableCode,
// CodeExecutionResult) is set; Thought and ThoughtSignature qualify it.
// Field order follows the proto field numbers, which is how Google's JSON
// printer orders them.
type Part struct {
	// Text is plain text (or, with Thought, a thought summary).
	Text string `json:"text,omitempty"`
	// InlineData is media embedded as base64.
	InlineData *Blob `json:"inlineData,omitempty"`
	// FunctionCall is a call the model asks the client to run.
	FunctionCall *FunctionCall `json:"functionCall,omitempty"`
	// FunctionResponse is the client's result for a FunctionCall.
	FunctionResponse *FunctionResponse `json:"functionResponse,omitempty"`
	// FileData references an uploaded file by URI.
	FileData *FileData `json:"fileData,omitempty"`
	// ExecutableCode is code generated by the code-execution tool.
	ExecutableCode *ExecutableCode `json:"executableCode,omitempty"`
	// CodeExecutionResult is the outcome of running ExecutableCode.
	CodeExecutionResult *CodeExecutionResult `json:"codeExecutionResult,omitempty"`
	// Thought marks a thought-summary part (includeThoughts: true).
	Thought bool `json:"thought,omitempty"`
	// ThoughtSignature is the opaque signature that Gemini 3 requires the
	// client to send back on model turns containing function calls.
	ThoughtSignature Bytes `json:"thoughtSignature,omitempty"`
	// VideoMetadata carries startOffset/endOffset/fps for video parts.
	VideoMetadata map[string]any `json:"videoMetadata,omitempty"`
}

// Blob is inline media: a MIME type and base64 data.
type Blob struct {
	// MimeType is e.g. "image/png" or "audio/L16;codec=pcm;rate=24000".
	MimeType string `json:"mimeType,omitempty"`
	// Data is the raw bytes (base64 on the wire).
	Data Bytes `json:"data,omitempty"`
}

// FileData points at a file uploaded through the Files API.
type FileData struct {
	// MimeType of the file, optional.
	MimeType string `json:"mimeType,omitempty"`
	// FileURI is "https://generativelanguage.googleapis.com/v1beta/files/ID".
	FileURI string `json:"fileUri,omitempty"`
}

// FunctionCall is a model request to run a declared function.
type FunctionCall struct {
	// ID correlates the call with its FunctionResponse (optional).
	ID string `json:"id,omitempty"`
	// Name is the declared function name.
	Name string `json:"name,omitempty"`
	// Args are the arguments, a JSON object; printed as {} when empty, as
	// Google does for parameterless functions.
	Args map[string]any `json:"args"`
}

// FunctionResponse is the client's answer to a FunctionCall.
type FunctionResponse struct {
	// ID echoes FunctionCall.ID.
	ID string `json:"id,omitempty"`
	// Name is the function name.
	Name string `json:"name,omitempty"`
	// Response is the function's result, a JSON object.
	Response map[string]any `json:"response,omitempty"`
}

// ExecutableCode is code written by the code-execution tool.
type ExecutableCode struct {
	// Language is "PYTHON".
	Language string `json:"language,omitempty"`
	// Code is the source.
	Code string `json:"code,omitempty"`
}

// CodeExecutionResult is the result of running ExecutableCode.
type CodeExecutionResult struct {
	// Outcome is OUTCOME_OK, OUTCOME_FAILED or OUTCOME_DEADLINE_EXCEEDED.
	Outcome string `json:"outcome,omitempty"`
	// Output is stdout, or the error text.
	Output string `json:"output,omitempty"`
}

// Tool is one entry of the request's tools list. Built-in tools such as
// googleSearch are present (non-nil) when the request names them, even as {}.
type Tool struct {
	// FunctionDeclarations are the client functions the model may call.
	FunctionDeclarations []*FunctionDeclaration `json:"functionDeclarations,omitempty"`
	// GoogleSearch enables grounding with Google Search.
	GoogleSearch map[string]any `json:"googleSearch,omitempty"`
	// GoogleSearchRetrieval is the Gemini 1.5-era search tool.
	GoogleSearchRetrieval map[string]any `json:"googleSearchRetrieval,omitempty"`
	// CodeExecution enables the code-execution tool.
	CodeExecution map[string]any `json:"codeExecution,omitempty"`
	// URLContext enables the URL-context tool.
	URLContext map[string]any `json:"urlContext,omitempty"`
}

// FunctionDeclaration declares one callable function. Schemas are kept as
// generic JSON (OpenAPI-subset Schema in Parameters, real JSON Schema in
// ParametersJSONSchema).
type FunctionDeclaration struct {
	// Name is the function name (a-z A-Z 0-9 _ : . -, at most 64 chars).
	Name string `json:"name,omitempty"`
	// Description tells the model what the function does.
	Description string `json:"description,omitempty"`
	// Parameters is an OpenAPI 3.0-subset Schema ("type": "OBJECT", ...).
	Parameters map[string]any `json:"parameters,omitempty"`
	// ParametersJSONSchema is a JSON Schema, exclusive with Parameters.
	ParametersJSONSchema any `json:"parametersJsonSchema,omitempty"`
}

// ToolConfig configures tool use.
type ToolConfig struct {
	// FunctionCallingConfig selects AUTO, ANY, NONE or VALIDATED calling.
	FunctionCallingConfig *FunctionCallingConfig `json:"functionCallingConfig,omitempty"`
}

// FunctionCallingConfig restricts function calling.
type FunctionCallingConfig struct {
	// Mode is MODE_UNSPECIFIED, AUTO (default), ANY, NONE or VALIDATED.
	Mode string `json:"mode,omitempty"`
	// AllowedFunctionNames limits ANY/VALIDATED calls to these functions.
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

// SafetySetting sets the block threshold of one harm category.
type SafetySetting struct {
	// Category is e.g. HARM_CATEGORY_HARASSMENT.
	Category string `json:"category,omitempty"`
	// Threshold is e.g. BLOCK_NONE or BLOCK_MEDIUM_AND_ABOVE.
	Threshold string `json:"threshold,omitempty"`
}

// GenerationConfig holds the request's generation options.
type GenerationConfig struct {
	// StopSequences (at most 5) end the answer when produced.
	StopSequences []string `json:"stopSequences,omitempty"`
	// ResponseMimeType is text/plain, application/json or text/x.enum.
	ResponseMimeType string `json:"responseMimeType,omitempty"`
	// ResponseSchema is an OpenAPI-subset Schema for JSON output.
	ResponseSchema map[string]any `json:"responseSchema,omitempty"`
	// ResponseJSONSchema is a JSON Schema for JSON output.
	ResponseJSONSchema any `json:"responseJsonSchema,omitempty"`
	// ResponseModalities lists TEXT, IMAGE and/or AUDIO.
	ResponseModalities []string `json:"responseModalities,omitempty"`
	// CandidateCount asks for several candidates.
	CandidateCount int `json:"candidateCount,omitempty"`
	// MaxOutputTokens caps the answer; the simulator then truncates and
	// reports finishReason MAX_TOKENS.
	MaxOutputTokens int `json:"maxOutputTokens,omitempty"`
	// Temperature in [0, 2].
	Temperature *float64 `json:"temperature,omitempty"`
	// TopP nucleus sampling.
	TopP *float64 `json:"topP,omitempty"`
	// TopK sampling (an integer on the wire).
	TopK *float64 `json:"topK,omitempty"`
	// Seed for sampling.
	Seed *int64 `json:"seed,omitempty"`
	// PresencePenalty penalises repeated tokens.
	PresencePenalty *float64 `json:"presencePenalty,omitempty"`
	// FrequencyPenalty penalises frequent tokens.
	FrequencyPenalty *float64 `json:"frequencyPenalty,omitempty"`
	// ResponseLogprobs asks for logprobs.
	ResponseLogprobs bool `json:"responseLogprobs,omitempty"`
	// Logprobs is the number of top logprobs, 0-20.
	Logprobs *int `json:"logprobs,omitempty"`
	// ThinkingConfig controls thinking models.
	ThinkingConfig *ThinkingConfig `json:"thinkingConfig,omitempty"`
	// SpeechConfig selects TTS voices (kept generic).
	SpeechConfig map[string]any `json:"speechConfig,omitempty"`
	// MediaResolution is MEDIA_RESOLUTION_LOW, _MEDIUM or _HIGH.
	MediaResolution string `json:"mediaResolution,omitempty"`
	// ImageConfig holds aspectRatio and imageSize (kept generic).
	ImageConfig map[string]any `json:"imageConfig,omitempty"`
}

// ThinkingConfig controls thinking.
type ThinkingConfig struct {
	// IncludeThoughts asks for thought-summary parts.
	IncludeThoughts bool `json:"includeThoughts,omitempty"`
	// ThinkingBudget: 0 = off (Flash, Flash-Lite only), -1 = dynamic, else tokens.
	ThinkingBudget *int `json:"thinkingBudget,omitempty"`
	// ThinkingLevel (Gemini 3): MINIMAL, LOW, MEDIUM or HIGH.
	ThinkingLevel string `json:"thinkingLevel,omitempty"`
}

// GenerateResponse is a GenerateContentResponse: the whole unary answer,
// or one event of a stream. Field order matches Google's output.
type GenerateResponse struct {
	// Candidates are the answers; absent when the prompt was blocked.
	Candidates []*Candidate `json:"candidates,omitempty"`
	// PromptFeedback reports a blocked prompt (blockReason).
	PromptFeedback *PromptFeedback `json:"promptFeedback,omitempty"`
	// UsageMetadata counts tokens; in streams every event repeats it with
	// a running candidatesTokenCount.
	UsageMetadata *UsageMetadata `json:"usageMetadata,omitempty"`
	// ModelVersion is the serving model, e.g. "gemini-2.5-flash". The
	// server fills it when a Responder leaves it empty.
	ModelVersion string `json:"modelVersion,omitempty"`
	// ResponseID identifies the answer; all events of a stream share it.
	// The server fills it when a Responder leaves it empty.
	ResponseID string `json:"responseId,omitempty"`
}

// Candidate is one answer. Index is always printed, as Google does.
type Candidate struct {
	// Content is the answer (role "model").
	Content *Content `json:"content,omitempty"`
	// FinishReason is STOP, MAX_TOKENS, SAFETY, ...; in streams only on the
	// last event.
	FinishReason string `json:"finishReason,omitempty"`
	// Index is the candidate's position; the server sets it.
	Index int `json:"index"`
	// FinishMessage explains FinishReason, e.g. "Model generated function call(s).".
	FinishMessage string `json:"finishMessage,omitempty"`
	// SafetyRatings are per-category ratings (2.5-era answers omit them).
	SafetyRatings []*SafetyRating `json:"safetyRatings,omitempty"`
	// CitationMetadata lists citation sources (generic JSON).
	CitationMetadata map[string]any `json:"citationMetadata,omitempty"`
	// TokenCount of this candidate.
	TokenCount int `json:"tokenCount,omitempty"`
	// GroundingMetadata is filled when the googleSearch tool was used.
	GroundingMetadata map[string]any `json:"groundingMetadata,omitempty"`
	// AvgLogprobs is the average log probability.
	AvgLogprobs float64 `json:"avgLogprobs,omitempty"`
	// URLContextMetadata is filled when the urlContext tool was used.
	URLContextMetadata map[string]any `json:"urlContextMetadata,omitempty"`
}

// SafetyRating is one category's rating.
type SafetyRating struct {
	// Category is e.g. HARM_CATEGORY_DANGEROUS_CONTENT.
	Category string `json:"category,omitempty"`
	// Probability is NEGLIGIBLE, LOW, MEDIUM or HIGH.
	Probability string `json:"probability,omitempty"`
	// Blocked reports whether this rating caused the block.
	Blocked bool `json:"blocked,omitempty"`
}

// PromptFeedback explains why a prompt was blocked.
type PromptFeedback struct {
	// BlockReason is SAFETY, OTHER, BLOCKLIST, PROHIBITED_CONTENT or IMAGE_SAFETY.
	BlockReason string `json:"blockReason,omitempty"`
	// SafetyRatings of the prompt.
	SafetyRatings []*SafetyRating `json:"safetyRatings,omitempty"`
}

// UsageMetadata counts tokens. totalTokenCount is the sum of prompt,
// candidates, tool-use prompt and thoughts counts. Field order follows the
// proto field numbers, as in Google's output.
type UsageMetadata struct {
	// PromptTokenCount includes cached tokens.
	PromptTokenCount int `json:"promptTokenCount,omitempty"`
	// CandidatesTokenCount counts answer tokens (running total in streams).
	CandidatesTokenCount int `json:"candidatesTokenCount,omitempty"`
	// TotalTokenCount is the sum of the other counts.
	TotalTokenCount int `json:"totalTokenCount,omitempty"`
	// CachedContentTokenCount counts tokens served from a cache.
	CachedContentTokenCount int `json:"cachedContentTokenCount,omitempty"`
	// PromptTokensDetails splits the prompt count by modality.
	PromptTokensDetails []*ModalityTokenCount `json:"promptTokensDetails,omitempty"`
	// CacheTokensDetails splits the cached count by modality.
	CacheTokensDetails []*ModalityTokenCount `json:"cacheTokensDetails,omitempty"`
	// CandidatesTokensDetails splits the answer count by modality.
	CandidatesTokensDetails []*ModalityTokenCount `json:"candidatesTokensDetails,omitempty"`
	// ToolUsePromptTokenCount counts tool-use prompt tokens.
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount,omitempty"`
	// ToolUsePromptTokensDetails splits it by modality.
	ToolUsePromptTokensDetails []*ModalityTokenCount `json:"toolUsePromptTokensDetails,omitempty"`
	// ThoughtsTokenCount counts thinking tokens.
	ThoughtsTokenCount int `json:"thoughtsTokenCount,omitempty"`
}

// ModalityTokenCount is a token count for one modality (TEXT, IMAGE,
// VIDEO, AUDIO, DOCUMENT).
type ModalityTokenCount struct {
	// Modality is TEXT, IMAGE, VIDEO, AUDIO or DOCUMENT.
	Modality string `json:"modality,omitempty"`
	// TokenCount is the count.
	TokenCount int `json:"tokenCount,omitempty"`
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
