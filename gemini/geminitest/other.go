package geminitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
)

// Token counting: one token per whitespace-separated word of text (and of
// function calls/responses as JSON); 258 per image or document, 263 per
// video, 32 per audio part.
const (
	modText = iota
	modImage
	modVideo
	modAudio
	modDocument
	numModalities
)

var modalityNames = [numModalities]string{"TEXT", "IMAGE", "VIDEO", "AUDIO", "DOCUMENT"}

type tokenCounts [numModalities]int

func (t *tokenCounts) total() int {
	n := 0
	for _, v := range t {
		n += v
	}
	return n
}

func (t *tokenCounts) details() []*ModalityTokenCount {
	var out []*ModalityTokenCount
	for i, v := range t {
		if v > 0 {
			out = append(out, &ModalityTokenCount{Modality: modalityNames[i], TokenCount: v})
		}
	}
	return out
}

func (t *tokenCounts) addMedia(mime string) {
	switch {
	case strings.HasPrefix(mime, "image/"):
		t[modImage] += 258
	case strings.HasPrefix(mime, "video/"):
		t[modVideo] += 263
	case strings.HasPrefix(mime, "audio/"):
		t[modAudio] += 32
	case mime == "application/pdf":
		t[modDocument] += 258
	default:
		t[modText] += 258
	}
}

func (t *tokenCounts) addPart(p *Part) {
	t[modText] += countWords(p.Text)
	if p.InlineData != nil {
		t.addMedia(p.InlineData.MimeType)
	}
	if p.FileData != nil {
		t.addMedia(p.FileData.MimeType)
	}
	if p.FunctionCall != nil {
		b, _ := json.Marshal(p.FunctionCall.Args)
		t[modText] += 1 + countWords(jsonWords(b))
	}
	if p.FunctionResponse != nil {
		b, _ := json.Marshal(p.FunctionResponse.Response)
		t[modText] += 1 + countWords(jsonWords(b))
	}
	if p.ExecutableCode != nil {
		t[modText] += countWords(p.ExecutableCode.Code)
	}
	if p.CodeExecutionResult != nil {
		t[modText] += countWords(p.CodeExecutionResult.Output)
	}
}

func jsonWords(b []byte) string {
	return strings.NewReplacer("{", " ", "}", " ", ",", " ", ":", " ", "[", " ", "]", " ").Replace(string(b))
}

func (t *tokenCounts) addContents(cs []*Content) {
	for _, c := range cs {
		if c == nil {
			continue
		}
		for _, p := range c.Parts {
			if p != nil {
				t.addPart(p)
			}
		}
	}
}

// promptTokens counts the prompt: contents, system instruction and
// function declarations (name, description and one per parameter).
func promptTokens(req *GenerateRequest) tokenCounts {
	var t tokenCounts
	t.addContents(req.Contents)
	if req.SystemInstruction != nil {
		t.addContents([]*Content{req.SystemInstruction})
	}
	for _, tool := range req.Tools {
		if tool == nil {
			continue
		}
		for _, d := range tool.FunctionDeclarations {
			if d == nil {
				continue
			}
			t[modText] += 1 + countWords(d.Description)
			if props, ok := d.Parameters["properties"].(map[string]any); ok {
				t[modText] += len(props)
			}
		}
	}
	return t
}

type countTokensRequest struct {
	Contents               []*Content       `json:"contents,omitempty"`
	GenerateContentRequest *GenerateRequest `json:"generateContentRequest,omitempty"`
}

type countTokensResponse struct {
	TotalTokens             int                   `json:"totalTokens"`
	CachedContentTokenCount int                   `json:"cachedContentTokenCount,omitempty"`
	PromptTokensDetails     []*ModalityTokenCount `json:"promptTokensDetails,omitempty"`
}

func (c *call) countTokens() {
	var req countTokensRequest
	if _, e := decodeRequest(c.body, c.specs().countTokens, &req); e != nil {
		c.fail(e)
		return
	}
	var t tokenCounts
	switch {
	case req.GenerateContentRequest != nil && len(req.Contents) > 0:
		c.fail(errInvalidArgument("* CountTokensRequest: contents and generate_content_request cannot both be set.\n"))
		return
	case req.GenerateContentRequest != nil:
		if req.GenerateContentRequest.Model == "" {
			c.fail(errInvalidArgument("* CountTokensRequest.generate_content_request.model: unexpected model name format\n"))
			return
		}
		t = promptTokens(req.GenerateContentRequest)
	default:
		t.addContents(req.Contents)
	}
	c.writeJSON(200, countTokensResponse{TotalTokens: t.total(), PromptTokensDetails: t.details()})
}

type embedRequest struct {
	Model                string   `json:"model,omitempty"`
	Content              *Content `json:"content,omitempty"`
	TaskType             string   `json:"taskType,omitempty"`
	Title                string   `json:"title,omitempty"`
	OutputDimensionality int      `json:"outputDimensionality,omitempty"`
}

type embedding struct {
	Values []float32 `json:"values"`
}

// embed computes the embedding of one request, or a 400.
func (c *call) embed(req *embedRequest, where string) (*embedding, *apiError) {
	if req.Model != "" && strings.TrimPrefix(req.Model, "models/") != c.model.ID() {
		return nil, errInvalidArgument(fmt.Sprintf("* %s.model: model %q does not match the model in the URL %q.\n", where, req.Model, c.model.Name))
	}
	if req.Content == nil || len(req.Content.Parts) == 0 {
		return nil, errInvalidArgument(fmt.Sprintf("* %s.content: content is not specified\n", where))
	}
	maxDims := embeddingMaxDims(c.model.ID())
	dims := defaultEmbeddingDims
	if req.OutputDimensionality != 0 {
		dims = req.OutputDimensionality
	}
	if dims < 0 || dims > maxDims {
		return nil, errInvalidArgument(fmt.Sprintf("* %s.output_dimensionality: must be between 1 and %d.\n", where, maxDims))
	}
	var texts []string
	for _, p := range req.Content.Parts {
		if p != nil && p.Text != "" {
			texts = append(texts, p.Text)
		}
	}
	return &embedding{Values: embedText(strings.Join(texts, " "), maxDims)[:min(dims, maxDims)]}, nil
}

// embedText is a deterministic bag-of-words embedding: each lower-cased
// word adds a pseudo-random direction, so texts sharing words are closer.
// The full vector has unit length; outputDimensionality truncates it.
func embedText(text string, dims int) []float32 {
	v := make([]float64, dims)
	words := strings.Fields(strings.ToLower(text))
	if len(words) == 0 {
		words = []string{""}
	}
	for _, w := range words {
		seed := fnv64(w)
		for i := range v {
			seed = splitmix(seed)
			v[i] += float64(int64(seed>>11))/float64(1<<52) - 1
		}
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	norm = math.Sqrt(norm)
	out := make([]float32, dims)
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out
}

func (c *call) embedContent() {
	var req embedRequest
	if _, e := decodeRequest(c.body, c.specs().embed, &req); e != nil {
		c.fail(e)
		return
	}
	emb, e := c.embed(&req, "EmbedContentRequest")
	if e != nil {
		c.fail(e)
		return
	}
	c.writeJSON(200, struct {
		Embedding *embedding `json:"embedding"`
	}{emb})
}

func (c *call) batchEmbedContents() {
	var req struct {
		Requests []*embedRequest `json:"requests"`
	}
	if _, e := decodeRequest(c.body, c.specs().batchEmbed, &req); e != nil {
		c.fail(e)
		return
	}
	if len(req.Requests) == 0 {
		c.fail(errInvalidArgument("* BatchEmbedContentsRequest.requests: requests is not specified\n"))
		return
	}
	out := make([]*embedding, 0, len(req.Requests))
	for i, r := range req.Requests {
		if r == nil {
			r = &embedRequest{}
		}
		emb, e := c.embed(r, fmt.Sprintf("BatchEmbedContentsRequest.requests[%d]", i))
		if e != nil {
			c.fail(e)
			return
		}
		out = append(out, emb)
	}
	c.writeJSON(200, struct {
		Embeddings []*embedding `json:"embeddings"`
	}{out})
}

// predict serves Imagen: sampleCount (default 4) tiny PNGs, none when the
// prompt contains BLOCKME (all filtered, as Google answers "{}").
func (c *call) predict() {
	var req struct {
		Instances []struct {
			Prompt string `json:"prompt"`
		} `json:"instances"`
		Parameters struct {
			SampleCount *int `json:"sampleCount"`
		} `json:"parameters"`
	}
	if _, e := decodeRequest(c.body, &msgSpec{proto: "type.googleapis.com/google.protobuf.Struct", fields: leaves("instances", "parameters")}, &req); e != nil {
		c.fail(e)
		return
	}
	if len(req.Instances) == 0 || strings.TrimSpace(req.Instances[0].Prompt) == "" {
		c.fail(errInvalidArgument("* PredictRequest.instances[0].prompt: prompt is required\n"))
		return
	}
	n := 4
	if req.Parameters.SampleCount != nil {
		n = *req.Parameters.SampleCount
	}
	if n < 1 || n > 4 {
		c.fail(errInvalidArgument("sampleCount must be between 1 and 4."))
		return
	}
	type prediction struct {
		BytesBase64Encoded Bytes  `json:"bytesBase64Encoded"`
		MimeType           string `json:"mimeType"`
	}
	var out struct {
		Predictions []prediction `json:"predictions,omitempty"`
	}
	prompt := req.Instances[0].Prompt
	if !blockRe.MatchString(prompt) {
		for i := 0; i < n; i++ {
			out.Predictions = append(out.Predictions, prediction{tinyPNG(prompt, i), "image/png"})
		}
	}
	c.writeJSON(200, out)
}

// tinyPNG is a valid 8x8 PNG whose colour derives from seed and i.
func tinyPNG(seed string, i int) []byte {
	h := splitmix(fnv64(seed) + uint64(i))
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	col := color.RGBA{R: byte(h), G: byte(h >> 8), B: byte(h >> 16), A: 255}
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			img.Set(x, y, col)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// pcmTone is 0.25 s of 16-bit little-endian mono PCM at 24 kHz: a sine
// whose pitch derives from seed, like the TTS models' raw audio.
func pcmTone(seed string) []byte {
	const rate, samples = 24000, 6000
	freq := 220 + float64(fnv64(seed)%440)
	out := make([]byte, 2*samples)
	for i := 0; i < samples; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/rate))
		out[2*i] = byte(v)
		out[2*i+1] = byte(uint16(v) >> 8)
	}
	return out
}
