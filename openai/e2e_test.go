package openai_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	oa "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/gemini"
	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/openai"
)

type stack struct {
	sim    *geminitest.Server
	pool   *balancer.MemoryPool
	srv    *httptest.Server
	client oa.Client
	set    *openai.Settings
}

// newStack builds handler + pipeline + client + simulator. keys default to
// one valid key "k1".
func newStack(t *testing.T, simOpts geminitest.Options, keys ...string) *stack {
	t.Helper()
	sim := geminitest.NewServer(simOpts)
	t.Cleanup(sim.Close)
	if len(keys) == 0 {
		keys = []string{"k1"}
		sim.SetKey("k1", geminitest.Behavior{Kind: geminitest.Valid})
	}
	gc, err := gemini.NewClient(gemini.ClientSettings{BaseURL: sim.URL + "/v1beta", Timeout: 10 * time.Second})
	require.NoError(t, err)
	pool := balancer.NewMemoryPool(keys, balancer.PoolOptions{})
	pipe := &balancer.Pipeline{Pool: pool}
	st := &stack{sim: sim, pool: pool, set: &openai.Settings{
		ShowThinking: true,
		Models: gemini.ModelPolicy{Search: []string{"gemini-2.5-flash"}, Thinking: []string{"gemini-2.5-pro"},
			Filtered: []string{"gemini-2.0-flash-lite"}},
	}}
	h := &openai.Handler{
		Pipeline: pipe, Client: gc,
		Models:   &gemini.ModelCache{Pipeline: pipe, Client: gc},
		Auth:     gemini.StaticTokens("test-token"),
		Settings: func() *openai.Settings { return st.set },
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", h)
	mux.Handle("/hf/v1/", h)
	st.srv = httptest.NewServer(mux)
	t.Cleanup(st.srv.Close)
	st.client = oa.NewClient(option.WithBaseURL(st.srv.URL+"/v1/"), option.WithAPIKey("test-token"), option.WithMaxRetries(0))
	return st
}

// generateBodies returns the bodies the simulator received for chat calls.
func (s *stack) generateBodies(t *testing.T) []map[string]any {
	var out []map[string]any
	for _, r := range s.sim.Requests() {
		if r.APIMethod == "generateContent" || r.APIMethod == "streamGenerateContent" {
			var m map[string]any
			require.NoError(t, json.Unmarshal(r.Body, &m))
			out = append(out, m)
		}
	}
	return out
}

func TestE2EChatNonStream(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	resp, err := s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{
		Model:    "gemini-2.0-flash",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.SystemMessage("Be terse."), oa.UserMessage("Hello there")},
	})
	require.NoError(t, err)
	require.Len(t, resp.Choices, 1)
	assert.Contains(t, resp.Choices[0].Message.Content, "Simulated answer from gemini-2.0-flash to: Hello there")
	assert.Equal(t, "stop", resp.Choices[0].FinishReason)
	assert.Equal(t, "chat.completion", string(resp.Object))
	assert.True(t, strings.HasPrefix(resp.ID, "chatcmpl-"))
	assert.Positive(t, resp.Usage.PromptTokens)
	assert.Equal(t, resp.Usage.PromptTokens+resp.Usage.CompletionTokens, resp.Usage.TotalTokens)

	bodies := s.generateBodies(t)
	require.Len(t, bodies, 1)
	assert.Equal(t, map[string]any{"parts": []any{map[string]any{"text": "Be terse."}}}, bodies[0]["systemInstruction"])
	assert.NotContains(t, bodies[0], "generationConfig", "nothing injected")
}

func TestE2EChatStream(t *testing.T) {
	s := newStack(t, geminitest.Options{StreamEvents: 5})
	stream := s.client.Chat.Completions.NewStreaming(context.Background(), oa.ChatCompletionNewParams{
		Model:         "gemini-2.0-flash",
		Messages:      []oa.ChatCompletionMessageParamUnion{oa.UserMessage("Count for me")},
		StreamOptions: oa.ChatCompletionStreamOptionsParam{IncludeUsage: oa.Bool(true)},
	})
	acc := oa.ChatCompletionAccumulator{}
	ids := map[string]bool{}
	n := 0
	for stream.Next() {
		c := stream.Current()
		ids[c.ID] = true
		acc.AddChunk(c)
		n++
	}
	require.NoError(t, stream.Err())
	assert.Len(t, ids, 1, "one stable id")
	assert.GreaterOrEqual(t, n, 7, "5 content chunks + finish + usage")
	require.Len(t, acc.Choices, 1)
	assert.True(t, strings.HasPrefix(acc.Choices[0].Message.Content, "Simulated answer from gemini-2.0-flash to: Count for me"))
	assert.Equal(t, "stop", acc.Choices[0].FinishReason)
	assert.Positive(t, acc.Usage.TotalTokens)
	reqs := s.sim.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "alt=sse", reqs[0].RawQuery)
}

func TestE2EToolRoundTripParallel(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	tools := []oa.ChatCompletionToolUnionParam{
		oa.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_weather", Description: oa.String("Weather for a city"),
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"location": map[string]any{"type": "string"},
				"unit": map[string]any{"type": []any{"string", "null"}, "enum": []any{"celsius", "fahrenheit", nil}}},
				"required": []any{"location"}, "additionalProperties": false}}),
		oa.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_time",
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"timezone": map[string]any{"type": "string", "format": "iana-tz"}}}}),
	}
	msgs := []oa.ChatCompletionMessageParamUnion{oa.UserMessage("Use the tools in parallel for Paris")}
	stream := s.client.Chat.Completions.NewStreaming(context.Background(), oa.ChatCompletionNewParams{
		Model: "gemini-3-pro-preview", Messages: msgs, Tools: tools,
	})
	acc := oa.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	require.NoError(t, stream.Err())
	require.Len(t, acc.Choices, 1)
	msg := acc.Choices[0].Message
	assert.Equal(t, "tool_calls", acc.Choices[0].FinishReason)
	require.Len(t, msg.ToolCalls, 2)
	assert.Equal(t, "get_weather", msg.ToolCalls[0].Function.Name)
	assert.Equal(t, "get_time", msg.ToolCalls[1].Function.Name)
	assert.JSONEq(t, `{"location":"Tokyo","unit":"celsius"}`, msg.ToolCalls[0].Function.Arguments)
	_, sig := openai.DecodeToolCallID(msg.ToolCalls[0].ID)
	assert.NotEmpty(t, sig, "first call carries the thought signature")

	// Send results back.
	msgs = append(msgs, msg.ToParam(),
		oa.ToolMessage(`{"temp": 21}`, msg.ToolCalls[0].ID),
		oa.ToolMessage("12:00", msg.ToolCalls[1].ID))
	resp, err := s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{
		Model: "gemini-3-pro-preview", Messages: msgs, Tools: tools,
	})
	require.NoError(t, err)
	assert.Contains(t, resp.Choices[0].Message.Content, "using the result of")
	assert.Equal(t, "stop", resp.Choices[0].FinishReason)

	bodies := s.generateBodies(t)
	require.Len(t, bodies, 2)
	// The declaration was sanitised to Gemini's subset.
	decl := bodies[0]["tools"].([]any)[0].(map[string]any)["functionDeclarations"].([]any)[0].(map[string]any)
	assert.NotContains(t, decl["parameters"], "additionalProperties")
	contents := bodies[1]["contents"].([]any)
	require.Len(t, contents, 3)
	model := contents[1].(map[string]any)
	assert.Equal(t, "model", model["role"])
	parts := model["parts"].([]any)
	require.Len(t, parts, 2)
	first := parts[0].(map[string]any)
	assert.Equal(t, sig, first["thoughtSignature"], "signature returned to Gemini")
	assert.Equal(t, "get_weather", first["functionCall"].(map[string]any)["name"])
	user := contents[2].(map[string]any)
	assert.Equal(t, "user", user["role"])
	rparts := user["parts"].([]any)
	require.Len(t, rparts, 2, "parallel results in one turn")
	fr0 := rparts[0].(map[string]any)["functionResponse"].(map[string]any)
	fr1 := rparts[1].(map[string]any)["functionResponse"].(map[string]any)
	assert.Equal(t, "get_weather", fr0["name"])
	assert.Equal(t, map[string]any{"temp": float64(21)}, fr0["response"])
	assert.Equal(t, "get_time", fr1["name"])
	assert.Equal(t, map[string]any{"result": "12:00"}, fr1["response"])
	// Gemini 3 gave the calls ids; they come back on the responses.
	assert.Equal(t, first["functionCall"].(map[string]any)["id"], fr0["id"])
}

func TestE2EImageDataURL(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nfake"))
	resp, err := s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{
		Model: "gemini-2.5-flash",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage([]oa.ChatCompletionContentPartUnionParam{
			oa.TextContentPart("What is in this image?"),
			oa.ImageContentPart(oa.ChatCompletionContentPartImageImageURLParam{URL: "data:image/jpg;base64," + png}),
		})},
	})
	require.NoError(t, err)
	assert.Contains(t, resp.Choices[0].Message.Content, "What is in this image?")
	bodies := s.generateBodies(t)
	parts := bodies[0]["contents"].([]any)[0].(map[string]any)["parts"].([]any)
	require.Len(t, parts, 2)
	assert.Equal(t, map[string]any{"mimeType": "image/jpeg", "data": png}, parts[1].(map[string]any)["inlineData"])
}

func TestE2EJSONSchemaOutput(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	resp, err := s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{
		Model:    "gemini-2.5-flash",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("Give me a person")},
		ResponseFormat: oa.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "person", Strict: oa.Bool(true), Schema: map[string]any{
				"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}, "age": map[string]any{"type": "integer"}},
				"required": []any{"name", "age"}, "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}}}},
	})
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.Choices[0].Message.Content), &got))
	assert.Equal(t, "Alice", got["name"])
	gc := s.generateBodies(t)[0]["generationConfig"].(map[string]any)
	assert.Equal(t, "application/json", gc["responseMimeType"])
	schema := gc["responseJsonSchema"].(map[string]any)
	assert.NotContains(t, schema, "$schema")
	assert.Equal(t, false, schema["additionalProperties"])
}

func TestE2EReasoning(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	resp, err := s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{
		Model: "gemini-2.5-flash", ReasoningEffort: shared.ReasoningEffortLow,
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("Think about it")},
	})
	require.NoError(t, err)
	raw := resp.Choices[0].Message.JSON.ExtraFields["reasoning_content"].Raw()
	assert.Equal(t, `"**Thinking...**"`, raw)
	assert.NotContains(t, resp.Choices[0].Message.Content, "Thinking...")
	assert.Positive(t, resp.Usage.CompletionTokensDetails.ReasoningTokens)
	tc := s.generateBodies(t)[0]["generationConfig"].(map[string]any)["thinkingConfig"].(map[string]any)
	assert.Equal(t, map[string]any{"thinkingBudget": float64(1024), "includeThoughts": true}, tc)

	// Streamed: reasoning_content deltas come first.
	stream := s.client.Chat.Completions.NewStreaming(context.Background(), oa.ChatCompletionNewParams{
		Model: "gemini-2.5-flash", ReasoningEffort: shared.ReasoningEffortHigh,
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("Think again")},
	})
	var reasoning strings.Builder
	sawContentBeforeReasoning := false
	content := ""
	for stream.Next() {
		c := stream.Current()
		if len(c.Choices) == 0 {
			continue
		}
		if f, ok := c.Choices[0].Delta.JSON.ExtraFields["reasoning_content"]; ok {
			var s string
			json.Unmarshal([]byte(f.Raw()), &s)
			if content != "" {
				sawContentBeforeReasoning = true
			}
			reasoning.WriteString(s)
		}
		content += c.Choices[0].Delta.Content
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, "**Thinking...**", reasoning.String())
	assert.False(t, sawContentBeforeReasoning)
	assert.Contains(t, content, "Think again")
}

func TestE2EEmbeddings(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	one, err := s.client.Embeddings.New(context.Background(), oa.EmbeddingNewParams{
		Model: "gemini-embedding-001", Input: oa.EmbeddingNewParamsInputUnion{OfString: oa.String("hello world")},
		Dimensions: oa.Int(256),
	})
	require.NoError(t, err)
	require.Len(t, one.Data, 1)
	assert.Len(t, one.Data[0].Embedding, 256)
	assert.Positive(t, one.Usage.PromptTokens)

	batch, err := s.client.Embeddings.New(context.Background(), oa.EmbeddingNewParams{
		Model: "gemini-embedding-001", Input: oa.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"hello world", "goodbye moon", "hello moon"}},
	})
	require.NoError(t, err)
	require.Len(t, batch.Data, 3)
	for i, d := range batch.Data {
		assert.Equal(t, int64(i), d.Index)
		assert.Len(t, d.Embedding, 768)
	}

	b64, err := s.client.Embeddings.New(context.Background(), oa.EmbeddingNewParams{
		Model: "gemini-embedding-001", Input: oa.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"hello world", "goodbye moon", "hello moon"}},
		EncodingFormat: oa.EmbeddingNewParamsEncodingFormatBase64,
	})
	require.NoError(t, err)
	require.Len(t, b64.Data, 3)
	for i := range b64.Data {
		require.Len(t, b64.Data[i].Embedding, 768)
		assert.InDelta(t, batch.Data[i].Embedding[5], b64.Data[i].Embedding[5], 1e-6)
	}
	methods := []string{}
	for _, r := range s.sim.Requests() {
		methods = append(methods, r.APIMethod)
	}
	assert.Equal(t, []string{"embedContent", "batchEmbedContents", "batchEmbedContents"}, methods)

	_, err = s.client.Embeddings.New(context.Background(), oa.EmbeddingNewParams{
		Model: "gemini-embedding-001", Input: oa.EmbeddingNewParamsInputUnion{OfArrayOfTokens: []int64{1, 2, 3}},
	})
	var apiErr *oa.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "input", apiErr.Param)
}

func TestE2EModels(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	page, err := s.client.Models.List(context.Background())
	require.NoError(t, err)
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		assert.Equal(t, "google", m.OwnedBy)
	}
	assert.Contains(t, ids, "gemini-2.5-flash")
	assert.Contains(t, ids, "gemini-2.5-flash-search")
	assert.Contains(t, ids, "gemini-2.5-pro-non-thinking")
	assert.NotContains(t, ids, "gemini-2.0-flash-lite")

	m, err := s.client.Models.Get(context.Background(), "gemini-2.5-flash-search")
	require.NoError(t, err)
	assert.Equal(t, "gemini-2.5-flash-search", m.ID)
	_, err = s.client.Models.Get(context.Background(), "nope")
	var apiErr *oa.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)

	// Same handler under another prefix, cached: one upstream list call.
	resp, err := http.Get(s.srv.URL + "/hf/v1/models?key=test-token")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	n := 0
	for _, r := range s.sim.Requests() {
		if r.APIMethod == "listModels" {
			n++
		}
	}
	assert.Equal(t, 1, n)
}

func TestE2EAuthAndBadRequest(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	bad := oa.NewClient(option.WithBaseURL(s.srv.URL+"/v1/"), option.WithAPIKey("wrong"), option.WithMaxRetries(0))
	_, err := bad.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{Model: "gemini-2.5-flash",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("hi")}})
	var apiErr *oa.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.Equal(t, "invalid_api_key", apiErr.Code)

	_, err = s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{Model: "gemini-2.5-flash",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage([]oa.ChatCompletionContentPartUnionParam{
			oa.TextContentPart("x"), oa.ImageContentPart(oa.ChatCompletionContentPartImageImageURLParam{URL: "ftp://nope"})})}})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "messages[0].content[1].image_url", apiErr.Param)
	assert.Empty(t, s.sim.Requests(), "nothing sent upstream")
}

func TestE2EPromptBlocked(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	resp, err := s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{Model: "gemini-2.5-flash",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("BLOCKME please")}})
	require.NoError(t, err)
	require.Len(t, resp.Choices, 1)
	assert.Equal(t, "content_filter", resp.Choices[0].FinishReason)
	assert.Empty(t, resp.Choices[0].Message.Content)
}

// Key-pool behaviours on the OpenAI route.

func TestE2EInvalidKeyBenched(t *testing.T) {
	s := newStack(t, geminitest.Options{}, "bad", "good")
	s.sim.SetKey("bad", geminitest.Behavior{Kind: geminitest.Invalid})
	s.sim.SetKey("good", geminitest.Behavior{Kind: geminitest.Valid})
	for i := 0; i < 3; i++ {
		_, err := s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{Model: "gemini-2.5-flash",
			Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("hi")}})
		require.NoError(t, err)
	}
	st, _ := s.pool.Status("bad")
	assert.True(t, st.State.Benched)
	assert.LessOrEqual(t, s.sim.Calls("bad"), 1)
}

func TestE2EQuotaRetriedOnAnotherKey(t *testing.T) {
	s := newStack(t, geminitest.Options{}, "q", "ok")
	s.sim.SetKey("q", geminitest.Behavior{Kind: geminitest.Quota, RetryDelay: 30 * time.Second})
	s.sim.SetKey("ok", geminitest.Behavior{Kind: geminitest.Valid})
	for i := 0; i < 2; i++ {
		stream := s.client.Chat.Completions.NewStreaming(context.Background(), oa.ChatCompletionNewParams{Model: "gemini-2.5-flash",
			Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("hi")}})
		for stream.Next() {
		}
		require.NoError(t, stream.Err())
	}
	assert.LessOrEqual(t, s.sim.Calls("q"), 1, "cooling key not reused")
	assert.Equal(t, 2, s.sim.Calls("ok"))

	// Only the quota key left: 429 with Retry-After, as rate_limit_error.
	s2 := newStack(t, geminitest.Options{}, "q")
	s2.sim.SetKey("q", geminitest.Behavior{Kind: geminitest.Quota, RetryDelay: 30 * time.Second})
	_, err := s2.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{Model: "gemini-2.5-flash",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("hi")}})
	var apiErr *oa.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Equal(t, "rate_limit_exceeded", apiErr.Code)
	assert.Equal(t, "rate_limit_error", apiErr.Type)
	assert.Equal(t, "30", apiErr.Response.Header.Get("Retry-After"))
	assert.Contains(t, apiErr.Message, "You exceeded your current quota")
}

func TestE2EClientErrorNotRetried(t *testing.T) {
	s := newStack(t, geminitest.Options{}, "a", "b")
	s.sim.SetKey("a", geminitest.Behavior{Kind: geminitest.Valid})
	s.sim.SetKey("b", geminitest.Behavior{Kind: geminitest.Valid})
	_, err := s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{Model: "gemini-does-not-exist",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("hi")}})
	var apiErr *oa.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Equal(t, "model_not_found", apiErr.Code)
	assert.Equal(t, 1, s.sim.Calls("a")+s.sim.Calls("b"), "no retry on a client error")
	for _, k := range []string{"a", "b"} {
		st, _ := s.pool.Status(k)
		assert.False(t, st.State.Benched)
		assert.Zero(t, st.State.Failures)
	}
}

func TestE2EStreamMidFailure(t *testing.T) {
	s := newStack(t, geminitest.Options{StreamEvents: 4}, "broken", "fine")
	s.sim.SetKey("broken", geminitest.Behavior{Kind: geminitest.BreakStream, BreakAfter: 2})
	s.sim.SetKey("fine", geminitest.Behavior{Kind: geminitest.Valid})
	// Make sure "broken" is picked first: use it alone in the pool first.
	s.pool.Remove("fine")
	stream := s.client.Chat.Completions.NewStreaming(context.Background(), oa.ChatCompletionNewParams{Model: "gemini-2.0-flash",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("tell me a story")}})
	content := ""
	for stream.Next() {
		c := stream.Current()
		if len(c.Choices) > 0 {
			content += c.Choices[0].Delta.Content
		}
	}
	err := stream.Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "received error while streaming")
	assert.Equal(t, 1, strings.Count(content, "Simulated answer"), "no duplicated text")
	assert.Equal(t, 1, s.sim.Calls("broken"), "no retry after output began")
}

func TestE2EStreamFailsBeforeFirstEventRetried(t *testing.T) {
	s := newStack(t, geminitest.Options{}, "broken", "fine")
	s.sim.SetKey("broken", geminitest.Behavior{Kind: geminitest.BreakStream, BreakAfter: 0})
	s.sim.SetKey("fine", geminitest.Behavior{Kind: geminitest.Valid})
	for i := 0; i < 2; i++ {
		stream := s.client.Chat.Completions.NewStreaming(context.Background(), oa.ChatCompletionNewParams{Model: "gemini-2.0-flash",
			Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("hi")}})
		acc := oa.ChatCompletionAccumulator{}
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		require.NoError(t, stream.Err())
		assert.Equal(t, 1, strings.Count(acc.Choices[0].Message.Content, "Simulated answer"))
	}
}

func TestE2EDisconnectCancelsUpstream(t *testing.T) {
	s := newStack(t, geminitest.Options{StreamEvents: 50, EventInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	stream := s.client.Chat.Completions.NewStreaming(ctx, oa.ChatCompletionNewParams{Model: "gemini-2.0-flash",
		Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("long story")}})
	require.True(t, stream.Next())
	cancel()
	for stream.Next() {
	}
	assert.True(t, errors.Is(stream.Err(), context.Canceled) || stream.Err() != nil)
	require.Eventually(t, func() bool { return s.sim.Active() == 0 }, 3*time.Second, 20*time.Millisecond, "upstream call ended")
	st, _ := s.pool.Status("k1")
	assert.Zero(t, st.State.Failures, "a disconnect is not the key's fault")
}
