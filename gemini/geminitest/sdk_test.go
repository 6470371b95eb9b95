package geminitest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

func newSDKClient(t *testing.T, s *Server, key string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      key,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: s.URL},
	})
	require.NoError(t, err)
	return c
}

// TestOfficialSDK drives the simulator with google.golang.org/genai to
// prove the wire format is what Google's own client expects.
func TestOfficialSDK(t *testing.T) {
	s := NewServer(Options{StreamEvents: 4})
	defer s.Close()
	s.SetKey("good", Behavior{})
	s.SetKey("limited", Behavior{Kind: Quota, RetryDelay: 26 * time.Second})
	ctx := context.Background()
	c := newSDKClient(t, s, "good")

	t.Run("generate", func(t *testing.T) {
		resp, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Why is the sky blue?"), &genai.GenerateContentConfig{
			SystemInstruction: genai.NewContentFromText("Be terse.", genai.RoleUser),
			ThinkingConfig:    &genai.ThinkingConfig{IncludeThoughts: true},
		})
		require.NoError(t, err)
		assert.Equal(t, "Simulated answer from gemini-2.5-flash to: Why is the sky blue?", resp.Text())
		assert.True(t, resp.Candidates[0].Content.Parts[0].Thought)
		assert.Equal(t, genai.FinishReasonStop, resp.Candidates[0].FinishReason)
		assert.Equal(t, int32(7), resp.UsageMetadata.PromptTokenCount, "5 words + 2 of system instruction")
		assert.Equal(t, int32(24), resp.UsageMetadata.ThoughtsTokenCount)
		assert.Equal(t, "gemini-2.5-flash", resp.ModelVersion)
		assert.NotEmpty(t, resp.ResponseID)
		assert.Equal(t, "standard", resp.SDKHTTPResponse.Headers.Get("X-Gemini-Service-Tier"))
	})

	t.Run("stream", func(t *testing.T) {
		var sb strings.Builder
		n := 0
		var last *genai.GenerateContentResponse
		for resp, err := range c.Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text("Count to three"), nil) {
			require.NoError(t, err)
			sb.WriteString(resp.Text())
			n++
			last = resp
		}
		assert.Equal(t, 4, n)
		assert.Equal(t, "Simulated answer from gemini-2.5-flash to: Count to three", sb.String())
		assert.Equal(t, genai.FinishReasonStop, last.Candidates[0].FinishReason)
		assert.Equal(t, int32(8), last.UsageMetadata.CandidatesTokenCount)
	})

	t.Run("function call", func(t *testing.T) {
		resp, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Weather in Paris?"), &genai.GenerateContentConfig{
			Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{
				Name: "get_weather", Description: "Current weather",
				Parameters: &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{
					"location": {Type: genai.TypeString}}, Required: []string{"location"}},
			}}}},
		})
		require.NoError(t, err)
		calls := resp.FunctionCalls()
		require.Len(t, calls, 1)
		assert.Equal(t, "get_weather", calls[0].Name)
		assert.Equal(t, map[string]any{"location": "Tokyo"}, calls[0].Args)
		assert.NotEmpty(t, resp.Candidates[0].Content.Parts[0].ThoughtSignature)
		// (The SDK's Gemini API converter drops finishMessage; the raw
		// tests check it.)
	})

	t.Run("countTokens", func(t *testing.T) {
		resp, err := c.Models.CountTokens(ctx, "gemini-2.5-flash", genai.Text("one two three four"), nil)
		require.NoError(t, err)
		assert.Equal(t, int32(4), resp.TotalTokens)
	})

	t.Run("embed", func(t *testing.T) {
		dims := int32(32)
		resp, err := c.Models.EmbedContent(ctx, "gemini-embedding-001",
			[]*genai.Content{genai.NewContentFromText("first", genai.RoleUser), genai.NewContentFromText("second", genai.RoleUser)},
			&genai.EmbedContentConfig{OutputDimensionality: &dims, TaskType: "RETRIEVAL_QUERY"})
		require.NoError(t, err)
		require.Len(t, resp.Embeddings, 2)
		assert.Len(t, resp.Embeddings[0].Values, 32)
		assert.NotEqual(t, resp.Embeddings[0].Values, resp.Embeddings[1].Values)
	})

	t.Run("list and get models", func(t *testing.T) {
		var names []string
		for m, err := range c.Models.All(ctx) {
			require.NoError(t, err)
			names = append(names, m.Name)
		}
		assert.Len(t, names, len(DefaultModels()))
		assert.Contains(t, names, "models/gemini-2.5-pro")
		m, err := c.Models.Get(ctx, "gemini-2.5-pro", nil)
		require.NoError(t, err)
		assert.Equal(t, int32(1048576), m.InputTokenLimit)
		assert.Contains(t, m.SupportedActions, "generateContent")
	})

	t.Run("errors become APIError", func(t *testing.T) {
		tests := []struct {
			name, key, model string
			code             int
			status           string
		}{
			{"invalid key", "bad", "gemini-2.5-flash", 400, "INVALID_ARGUMENT"},
			{"quota", "limited", "gemini-2.5-flash", 429, "RESOURCE_EXHAUSTED"},
			{"unknown model", "good", "gemini-pro", 404, "NOT_FOUND"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := newSDKClient(t, s, tc.key).Models.GenerateContent(ctx, tc.model, genai.Text("hi"), nil)
				var apiErr genai.APIError
				require.True(t, errors.As(err, &apiErr), "%v", err)
				assert.Equal(t, tc.code, apiErr.Code)
				assert.Equal(t, tc.status, apiErr.Status)
				if tc.code == 429 {
					require.Len(t, apiErr.Details, 3)
					assert.Equal(t, "26s", apiErr.Details[2]["retryDelay"])
				}
			})
		}
	})

	t.Run("stream error", func(t *testing.T) {
		for _, err := range newSDKClient(t, s, "limited").Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text("hi"), nil) {
			var apiErr genai.APIError
			require.True(t, errors.As(err, &apiErr), "%v", err)
			assert.Equal(t, 429, apiErr.Code)
			break
		}
	})
}
