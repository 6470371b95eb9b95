package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

// sdkClient returns the official Go SDK pointed at the gateway.
func sdkClient(t *testing.T, baseURL, version string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(t.Context(), &genai.ClientConfig{
		APIKey:      token,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: baseURL, APIVersion: version},
	})
	require.NoError(t, err)
	return c
}

func TestOfficialSDK(t *testing.T) {
	gw := newGateway(t)
	cases := []struct {
		name, base, version string
	}{
		{"v1beta", gw.URL + "/", "v1beta"},
		{"v1", gw.URL + "/", "v1"},
		{"gemini prefix v1beta", gw.URL + "/gemini/", "v1beta"},
		{"gemini prefix v1", gw.URL + "/gemini/", "v1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gw.Sim.Reset()
			ctx := t.Context()
			c := sdkClient(t, tc.base, tc.version)
			const model = "gemini-2.5-flash"

			res, err := c.Models.GenerateContent(ctx, model, genai.Text("Tell me about load balancing"), nil)
			require.NoError(t, err)
			full := res.Text()
			assert.Contains(t, full, "Simulated answer from gemini-2.5-flash")

			var streamed strings.Builder
			n := 0
			for chunk, err := range c.Models.GenerateContentStream(ctx, model, genai.Text("Tell me about load balancing"), nil) {
				require.NoError(t, err)
				streamed.WriteString(chunk.Text())
				n++
			}
			assert.Equal(t, 3, n)
			assert.Equal(t, full, streamed.String())

			ct, err := c.Models.CountTokens(ctx, model, genai.Text("one two three four"), nil)
			require.NoError(t, err)
			assert.Equal(t, int32(4), ct.TotalTokens)

			const embedder = "gemini-embedding-001"
			one, err := c.Models.EmbedContent(ctx, embedder, genai.Text("hello world"), nil)
			require.NoError(t, err)
			require.Len(t, one.Embeddings, 1)
			assert.NotEmpty(t, one.Embeddings[0].Values)

			several := []*genai.Content{
				genai.NewContentFromText("first", genai.RoleUser),
				genai.NewContentFromText("second", genai.RoleUser),
				genai.NewContentFromText("third", genai.RoleUser),
			}
			batch, err := c.Models.EmbedContent(ctx, embedder, several, nil)
			require.NoError(t, err)
			require.Len(t, batch.Embeddings, 3)
			assert.NotEqual(t, batch.Embeddings[0].Values, batch.Embeddings[1].Values)

			got, err := c.Models.Get(ctx, model, nil)
			require.NoError(t, err)
			assert.Equal(t, "models/"+model, got.Name)
			assert.Contains(t, got.SupportedActions, "generateContent")

			var names []string
			for m, err := range c.Models.All(ctx) {
				require.NoError(t, err)
				names = append(names, m.Name)
			}
			assert.Contains(t, names, "models/gemini-2.5-flash")
			assert.Contains(t, names, "models/gemini-embedding-001")
			// SEARCH_MODELS default lists gemini-2.5-flash: its variant is shown.
			assert.Contains(t, names, "models/gemini-2.5-flash-search")

			page, err := c.Models.List(ctx, &genai.ListModelsConfig{PageSize: 2})
			require.NoError(t, err)
			assert.NotEmpty(t, page.Items)

			// Every upstream call went to the version the SDK asked for.
			methods := map[string]int{}
			for _, rec := range gw.Sim.Requests() {
				methods[rec.APIMethod]++
				if rec.APIMethod == "listModels" {
					continue // the model list is cached and fetched on v1beta
				}
				assert.Equal(t, tc.version, rec.Version, "%s %s", rec.Method, rec.Path)
			}
			t.Logf("upstream methods: %v", methods)
			for _, m := range []string{"generateContent", "streamGenerateContent", "countTokens"} {
				assert.Equal(t, 1, methods[m], m)
			}
			assert.Equal(t, 2, methods["embedContent"]+methods["batchEmbedContents"])
		})
	}
}

func TestOfficialSDKErrors(t *testing.T) {
	gw := newGateway(t)
	ctx := t.Context()
	c := sdkClient(t, gw.URL+"/", "v1beta")
	_, err := c.Models.GenerateContent(ctx, "no-such-model", genai.Text("hi"), nil)
	var apiErr genai.APIError
	require.True(t, errors.As(err, &apiErr), "err: %v", err)
	assert.Equal(t, 404, apiErr.Code)
	assert.Equal(t, "NOT_FOUND", apiErr.Status)

	bad, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "wrong", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: gw.URL + "/", APIVersion: "v1beta"}})
	require.NoError(t, err)
	_, err = bad.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("hi"), nil)
	require.True(t, errors.As(err, &apiErr), "err: %v", err)
	assert.Equal(t, 401, apiErr.Code)
	assert.Equal(t, "UNAUTHENTICATED", apiErr.Status)
}

func TestOfficialSDKStreamBreakSurfacesAsError(t *testing.T) {
	gw := newGateway(t, withKeys(keyA))
	gw.Sim.SetKey(keyA, breakAfter(2))
	c := sdkClient(t, gw.URL+"/", "v1beta")
	var text strings.Builder
	var gotErr error
	for chunk, err := range c.Models.GenerateContentStream(context.Background(), "gemini-2.5-flash", genai.Text("hello"), nil) {
		if err != nil {
			gotErr = err
			break
		}
		text.WriteString(chunk.Text())
	}
	require.Error(t, gotErr)
	var apiErr genai.APIError
	assert.True(t, errors.As(gotErr, &apiErr), "the SDK should raise an API error, got %T: %v", gotErr, gotErr)
	assert.NotEmpty(t, text.String())
}
