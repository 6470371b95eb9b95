package geminitest

import (
	"encoding/base64"
	"strings"
)

// Model is a model resource as GET /v1beta/models returns it. Field order
// and JSON names match Google's output; zero fields are omitted.
//
// The simulator derives each model's abilities from it: generateContent in
// SupportedGenerationMethods allows generateContent and
// streamGenerateContent, embedContent allows embedContent and
// batchEmbedContents, predict allows :predict (Imagen), Thinking enables
// thought parts and thoughtsTokenCount, a name containing "-tts" answers
// with audio and one containing "-image" can answer with an image.
type Model struct {
	// Name is the resource name, "models/gemini-2.5-flash". A bare id is
	// accepted in Options.Models and gets the prefix added.
	Name string `json:"name"`
	// BaseModelID is not emitted for base models; kept for completeness.
	BaseModelID string `json:"baseModelId,omitempty"`
	// Version is e.g. "001".
	Version string `json:"version,omitempty"`
	// DisplayName is e.g. "Gemini 2.5 Flash".
	DisplayName string `json:"displayName,omitempty"`
	// Description is a human-readable blurb.
	Description string `json:"description,omitempty"`
	// InputTokenLimit is the context window.
	InputTokenLimit int `json:"inputTokenLimit,omitempty"`
	// OutputTokenLimit is the maximum answer length.
	OutputTokenLimit int `json:"outputTokenLimit,omitempty"`
	// SupportedGenerationMethods lists the RPCs the model serves.
	SupportedGenerationMethods []string `json:"supportedGenerationMethods,omitempty"`
	// Temperature is the default temperature.
	Temperature float64 `json:"temperature,omitempty"`
	// TopP is the default nucleus-sampling value.
	TopP float64 `json:"topP,omitempty"`
	// TopK is the default top-k.
	TopK int `json:"topK,omitempty"`
	// MaxTemperature is the highest accepted temperature.
	MaxTemperature float64 `json:"maxTemperature,omitempty"`
	// Thinking is true for thinking models (omitted otherwise).
	Thinking bool `json:"thinking,omitempty"`
}

// ID returns the model id without the "models/" prefix.
func (m Model) ID() string { return strings.TrimPrefix(m.Name, "models/") }

func (m Model) supports(method string) bool {
	for _, s := range m.SupportedGenerationMethods {
		if s == method {
			return true
		}
	}
	return false
}

var (
	chatMethods      = []string{"generateContent", "countTokens", "createCachedContent", "batchGenerateContent"}
	embedMethods     = []string{"embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"}
	ttsMethods       = []string{"countTokens", "generateContent", "batchGenerateContent"}
	imageChatMethods = []string{"generateContent", "countTokens", "batchGenerateContent"}
)

// DefaultModels returns the model list a Server serves when Options.Models
// is empty: current Gemini chat models (thinking and not), a Gemini 3
// preview, an image-output model, a TTS model, two embedders and two
// Imagen models, with realistic limits and methods. The slice is fresh
// and may be modified.
func DefaultModels() []Model {
	return []Model{
		{Name: "models/gemini-2.5-flash", Version: "001", DisplayName: "Gemini 2.5 Flash",
			Description:     "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens, released in June of 2025.",
			InputTokenLimit: 1048576, OutputTokenLimit: 65536, SupportedGenerationMethods: chatMethods,
			Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2, Thinking: true},
		{Name: "models/gemini-2.5-pro", Version: "2.5", DisplayName: "Gemini 2.5 Pro",
			Description:     "Stable release (June 17th, 2025) of Gemini 2.5 Pro",
			InputTokenLimit: 1048576, OutputTokenLimit: 65536, SupportedGenerationMethods: chatMethods,
			Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2, Thinking: true},
		{Name: "models/gemini-2.5-flash-lite", Version: "001", DisplayName: "Gemini 2.5 Flash-Lite",
			Description:     "Stable version of Gemini 2.5 Flash-Lite, released in July of 2025",
			InputTokenLimit: 1048576, OutputTokenLimit: 65536, SupportedGenerationMethods: chatMethods,
			Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2, Thinking: true},
		{Name: "models/gemini-2.0-flash", Version: "2.0", DisplayName: "Gemini 2.0 Flash",
			Description:     "Gemini 2.0 Flash",
			InputTokenLimit: 1048576, OutputTokenLimit: 8192, SupportedGenerationMethods: chatMethods,
			Temperature: 1, TopP: 0.95, TopK: 40, MaxTemperature: 2},
		{Name: "models/gemini-2.0-flash-lite", Version: "2.0", DisplayName: "Gemini 2.0 Flash-Lite",
			Description:     "Gemini 2.0 Flash-Lite",
			InputTokenLimit: 1048576, OutputTokenLimit: 8192, SupportedGenerationMethods: chatMethods,
			Temperature: 1, TopP: 0.95, TopK: 40, MaxTemperature: 2},
		{Name: "models/gemini-3-pro-preview", Version: "3-pro-preview-11-2025", DisplayName: "Gemini 3 Pro Preview",
			Description:     "Gemini 3 Pro Preview",
			InputTokenLimit: 1048576, OutputTokenLimit: 65536, SupportedGenerationMethods: chatMethods,
			Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2, Thinking: true},
		{Name: "models/gemini-2.5-flash-image", Version: "2.0", DisplayName: "Nano Banana",
			Description:     "Gemini 2.5 Flash Image",
			InputTokenLimit: 32768, OutputTokenLimit: 32768, SupportedGenerationMethods: imageChatMethods,
			Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2},
		{Name: "models/gemini-2.5-flash-preview-tts", Version: "gemini-2.5-flash-exp-tts-2025-05-19", DisplayName: "Gemini 2.5 Flash Preview TTS",
			Description:     "Gemini 2.5 Flash Preview TTS",
			InputTokenLimit: 8192, OutputTokenLimit: 16384, SupportedGenerationMethods: ttsMethods,
			Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2},
		{Name: "models/gemini-embedding-001", Version: "001", DisplayName: "Gemini Embedding 001",
			Description:     "Obtain a distributed representation of a text.",
			InputTokenLimit: 2048, OutputTokenLimit: 1, SupportedGenerationMethods: embedMethods},
		{Name: "models/text-embedding-004", Version: "004", DisplayName: "Text Embedding 004",
			Description:     "Obtain a distributed representation of a text.",
			InputTokenLimit: 2048, OutputTokenLimit: 1, SupportedGenerationMethods: []string{"embedContent"}},
		{Name: "models/imagen-3.0-generate-002", Version: "002", DisplayName: "Imagen 3.0",
			Description:     "Vertex served Imagen 3.0 002 model",
			InputTokenLimit: 480, OutputTokenLimit: 8192, SupportedGenerationMethods: []string{"predict"}},
		{Name: "models/imagen-4.0-generate-001", Version: "001", DisplayName: "Imagen 4",
			Description:     "Vertex served Imagen 4.0 model",
			InputTokenLimit: 480, OutputTokenLimit: 8192, SupportedGenerationMethods: []string{"predict"}},
	}
}

// embeddingMaxDims is the full vector length a model produces before
// outputDimensionality truncation.
func embeddingMaxDims(id string) int {
	if strings.HasPrefix(id, "gemini-embedding") {
		return 3072
	}
	return 768
}

// defaultEmbeddingDims is the length returned without outputDimensionality.
const defaultEmbeddingDims = 768

// pageToken encodes a list offset as Google-looking opaque base64: a proto
// string field 1 holding the last returned model name ("CiRtb2RlbHMv...").
func pageToken(lastName string) string {
	b := append([]byte{0x0a, byte(len(lastName))}, lastName...)
	return base64.StdEncoding.EncodeToString(b)
}

// parsePageToken returns the model name a token continues after.
func parsePageToken(tok string) (string, bool) {
	b, err := decodeBase64(tok)
	if err != nil || len(b) < 2 || b[0] != 0x0a || int(b[1]) != len(b)-2 {
		return "", false
	}
	return string(b[2:]), true
}
