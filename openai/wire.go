package openai

import "encoding/json"

// Gemini wire types, as much as the translation reads and writes. Field
// order follows Google's.

type gRequest struct {
	Contents          []*gContent     `json:"contents"`
	SystemInstruction *gContent       `json:"systemInstruction,omitempty"`
	Tools             []gTool         `json:"tools,omitempty"`
	ToolConfig        *gToolConfig    `json:"toolConfig,omitempty"`
	SafetySettings    json.RawMessage `json:"safetySettings,omitempty"`
	GenerationConfig  *gGenConfig     `json:"generationConfig,omitempty"`
	CachedContent     string          `json:"cachedContent,omitempty"`
}

type gContent struct {
	Role  string   `json:"role,omitempty"`
	Parts []*gPart `json:"parts"`
}

type gPart struct {
	Text                string             `json:"text,omitempty"`
	InlineData          *gBlob             `json:"inlineData,omitempty"`
	FunctionCall        *gFunctionCall     `json:"functionCall,omitempty"`
	FunctionResponse    *gFunctionResponse `json:"functionResponse,omitempty"`
	FileData            *gFileData         `json:"fileData,omitempty"`
	ExecutableCode      *gExecutableCode   `json:"executableCode,omitempty"`
	CodeExecutionResult *gCodeResult       `json:"codeExecutionResult,omitempty"`
	Thought             bool               `json:"thought,omitempty"`
	ThoughtSignature    string             `json:"thoughtSignature,omitempty"`
}

type gBlob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type gFileData struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type gFunctionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type gFunctionResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type gExecutableCode struct {
	Language string `json:"language,omitempty"`
	Code     string `json:"code"`
}

type gCodeResult struct {
	Outcome string `json:"outcome,omitempty"`
	Output  string `json:"output,omitempty"`
}

type gTool struct {
	FunctionDeclarations []gFuncDecl `json:"functionDeclarations,omitempty"`
	GoogleSearch         *struct{}   `json:"googleSearch,omitempty"`
}

type gFuncDecl struct {
	Name                 string `json:"name"`
	Description          string `json:"description,omitempty"`
	Parameters           any    `json:"parameters,omitempty"`
	ParametersJSONSchema any    `json:"parametersJsonSchema,omitempty"`
}

type gToolConfig struct {
	FunctionCallingConfig gFCConfig `json:"functionCallingConfig"`
}

type gFCConfig struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

type gGenConfig struct {
	StopSequences      []string `json:"stopSequences,omitempty"`
	ResponseMimeType   string   `json:"responseMimeType,omitempty"`
	ResponseJSONSchema any      `json:"responseJsonSchema,omitempty"`
	ResponseModalities []string `json:"responseModalities,omitempty"`
	CandidateCount     *int     `json:"candidateCount,omitempty"`
	MaxOutputTokens    *int     `json:"maxOutputTokens,omitempty"`
	Temperature        *float64 `json:"temperature,omitempty"`
	TopP               *float64 `json:"topP,omitempty"`
	TopK               *int     `json:"topK,omitempty"`
	Seed               *int64   `json:"seed,omitempty"`
	PresencePenalty    *float64 `json:"presencePenalty,omitempty"`
	FrequencyPenalty   *float64 `json:"frequencyPenalty,omitempty"`
	ResponseLogprobs   bool     `json:"responseLogprobs,omitempty"`
	Logprobs           *int     `json:"logprobs,omitempty"`
	// ThinkingConfig is a *gThinkng, or the client's own object
	// (extra_body.google.thinking_config) as json.RawMessage; nil omits it.
	ThinkingConfig any `json:"thinkingConfig,omitempty"`
}

type gThinkng struct {
	IncludeThoughts bool   `json:"includeThoughts,omitempty"`
	ThinkingBudget  *int   `json:"thinkingBudget,omitempty"`
	ThinkingLevel   string `json:"thinkingLevel,omitempty"`
}

type gResponse struct {
	Candidates     []*gCandidate `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *gUsage `json:"usageMetadata"`
	ModelVersion  string  `json:"modelVersion"`
	ResponseID    string  `json:"responseId"`
}

type gCandidate struct {
	Content        *gContent  `json:"content"`
	FinishReason   string     `json:"finishReason"`
	Index          int        `json:"index"`
	LogprobsResult *gLogprobs `json:"logprobsResult"`
}

type gLogprobs struct {
	TopCandidates []struct {
		Candidates []gTokenLogprob `json:"candidates"`
	} `json:"topCandidates"`
	ChosenCandidates []gTokenLogprob `json:"chosenCandidates"`
}

type gTokenLogprob struct {
	Token          string  `json:"token"`
	LogProbability float64 `json:"logProbability"`
}

type gUsage struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount"`
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
}
