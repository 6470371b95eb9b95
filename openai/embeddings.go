package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// EmbeddingRequest is an OpenAI embeddings request.
type EmbeddingRequest struct {
	// Model is the embedding model.
	Model string `json:"model"`
	// Input holds the texts; a single string is a one-element list.
	Input []string `json:"input"`
	// Single reports that input was a string, not an array.
	Single bool `json:"-"`
	// Dimensions truncates the vectors (outputDimensionality).
	Dimensions *int `json:"dimensions,omitempty"`
	// EncodingFormat is "float" (default) or "base64".
	EncodingFormat string `json:"encoding_format,omitempty"`
	// User is accepted and ignored.
	User string `json:"user,omitempty"`
}

// ParseEmbeddingRequest decodes and checks an embeddings body. Token-id
// arrays are refused with a 400 naming "input": Gemini embeds text only.
func ParseEmbeddingRequest(body []byte) (*EmbeddingRequest, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || !json.Valid(b) || b[0] != '{' {
		return nil, badRequest("", "We could not parse the JSON body of your request: expected a JSON object.")
	}
	var raw struct {
		Model          *string         `json:"model"`
		Input          json.RawMessage `json:"input"`
		Dimensions     *float64        `json:"dimensions"`
		EncodingFormat *string         `json:"encoding_format"`
		User           *string         `json:"user"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, jsonError(err, "")
	}
	r := &EmbeddingRequest{}
	if raw.Model == nil || *raw.Model == "" {
		return nil, badRequest("model", "you must provide a model parameter")
	}
	r.Model = *raw.Model
	in := bytes.TrimSpace(raw.Input)
	switch {
	case isNull(in):
		return nil, badRequest("input", "Missing required parameter: 'input'.")
	case in[0] == '"':
		var s string
		json.Unmarshal(in, &s)
		r.Input, r.Single = []string{s}, true
	case in[0] == '[':
		var items []json.RawMessage
		json.Unmarshal(in, &items)
		if len(items) == 0 {
			return nil, badRequest("input", "Invalid 'input': empty array. Expected an array with minimum length 1.")
		}
		if len(items) > 2048 {
			return nil, badRequest("input", "Invalid 'input': array too long. Expected an array with maximum length 2048, but got %d instead.", len(items))
		}
		for i, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) == 0 || it[0] != '"' {
				return nil, badRequest("input", "Invalid 'input[%d]': token-id arrays are not supported by this gateway (Gemini embeds text); send strings.", i)
			}
			var s string
			json.Unmarshal(it, &s)
			r.Input = append(r.Input, s)
		}
	default:
		return nil, badRequest("input", "Invalid type for 'input': expected a string or an array of strings.")
	}
	for i, s := range r.Input {
		if s == "" {
			return nil, badRequest("input", "Invalid 'input[%d]': string must not be empty.", i)
		}
	}
	if raw.Dimensions != nil {
		d := *raw.Dimensions
		if d != math.Trunc(d) || d < 1 || d > 1<<16 {
			return nil, badRequest("dimensions", "Invalid 'dimensions': expected a positive integer.")
		}
		n := int(d)
		r.Dimensions = &n
	}
	if raw.EncodingFormat != nil {
		switch *raw.EncodingFormat {
		case "", "float", "base64":
			r.EncodingFormat = *raw.EncodingFormat
		default:
			return nil, badRequest("encoding_format", "Invalid value: '%s'. Supported values are: 'float' and 'base64'.", *raw.EncodingFormat)
		}
	}
	if raw.User != nil {
		r.User = *raw.User
	}
	return r, nil
}

type gEmbedContent struct {
	Model                string   `json:"model,omitempty"`
	Content              gContent `json:"content"`
	OutputDimensionality *int     `json:"outputDimensionality,omitempty"`
}

// EmbeddingToGemini returns the Gemini method ("embedContent" for a single
// input, "batchEmbedContents" for several) and body for r, for the
// upstream model upstream (without "models/").
func EmbeddingToGemini(r *EmbeddingRequest, upstream string) (method string, body []byte, err error) {
	if len(r.Input) == 1 {
		b, err := json.Marshal(gEmbedContent{Content: gContent{Parts: []*gPart{{Text: r.Input[0]}}}, OutputDimensionality: r.Dimensions})
		return "embedContent", b, err
	}
	reqs := make([]gEmbedContent, len(r.Input))
	for i, s := range r.Input {
		reqs[i] = gEmbedContent{Model: "models/" + upstream, Content: gContent{Parts: []*gPart{{Text: s}}}, OutputDimensionality: r.Dimensions}
	}
	b, err := json.Marshal(struct {
		Requests []gEmbedContent `json:"requests"`
	}{reqs})
	return "batchEmbedContents", b, err
}

// EmbeddingResponse is the OpenAI embeddings answer.
type EmbeddingResponse struct {
	// Object is "list".
	Object string `json:"object"`
	// Data holds one embedding per input, in order.
	Data []Embedding `json:"data"`
	// Model is the model the client asked for.
	Model string `json:"model"`
	// Usage counts tokens.
	Usage EmbeddingUsage `json:"usage"`
}

// Embedding is one vector.
type Embedding struct {
	// Object is "embedding".
	Object string `json:"object"`
	// Index is the input's position.
	Index int `json:"index"`
	// Embedding is a []float32, or a base64 string of little-endian
	// float32 values for encoding_format base64.
	Embedding any `json:"embedding"`
}

// EmbeddingUsage counts the input tokens.
type EmbeddingUsage struct {
	// PromptTokens counts (or estimates) the input tokens.
	PromptTokens int `json:"prompt_tokens"`
	// TotalTokens equals PromptTokens.
	TotalTokens int `json:"total_tokens"`
}

// EmbeddingFromGemini translates an embedContent or batchEmbedContents
// answer. Gemini reports no token usage for embeddings, so usage is an
// estimate: one token per four bytes of input, at least one per input.
func EmbeddingFromGemini(body []byte, r *EmbeddingRequest) (*EmbeddingResponse, error) {
	var g struct {
		Embedding *struct {
			Values []float32 `json:"values"`
		} `json:"embedding"`
		Embeddings []struct {
			Values []float32 `json:"values"`
		} `json:"embeddings"`
		UsageMetadata *gUsage `json:"usageMetadata"`
	}
	if err := json.Unmarshal(body, &g); err != nil {
		return nil, errors.New("openai: decoding the Gemini embedding answer: " + err.Error())
	}
	var vecs [][]float32
	if g.Embedding != nil {
		vecs = append(vecs, g.Embedding.Values)
	}
	for _, e := range g.Embeddings {
		vecs = append(vecs, e.Values)
	}
	if len(vecs) != len(r.Input) {
		return nil, fmt.Errorf("openai: the upstream returned %d embeddings for %d inputs", len(vecs), len(r.Input))
	}
	out := &EmbeddingResponse{Object: "list", Model: r.Model, Data: make([]Embedding, len(vecs))}
	for i, v := range vecs {
		var e any = v
		if r.EncodingFormat == "base64" {
			buf := make([]byte, 4*len(v))
			for j, f := range v {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(f))
			}
			e = base64.StdEncoding.EncodeToString(buf)
		} else if v == nil {
			e = []float32{}
		}
		out.Data[i] = Embedding{Object: "embedding", Index: i, Embedding: e}
	}
	if g.UsageMetadata != nil && g.UsageMetadata.PromptTokenCount > 0 {
		out.Usage.PromptTokens = g.UsageMetadata.PromptTokenCount
	} else {
		for _, s := range r.Input {
			out.Usage.PromptTokens += max(1, (len(s)+3)/4)
		}
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	return out, nil
}
