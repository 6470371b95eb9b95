package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/gemini/geminitest"
)

// The OpenAI API answers under gemini-balance's three prefixes, through the
// same pool as the native routes.
func TestOpenAIRoutesWithOfficialSDK(t *testing.T) {
	gw := newGateway(t, withKeys(keyA, keyB), withBehavior(keyA, geminitest.Behavior{Kind: geminitest.Invalid}))
	for _, prefix := range []string{"/v1/", "/hf/v1/", "/openai/v1/"} {
		t.Run(prefix, func(t *testing.T) {
			c := openai.NewClient(option.WithBaseURL(gw.URL+prefix), option.WithAPIKey(token), option.WithMaxRetries(0))
			resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model:    "gemini-2.5-flash",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")},
			})
			require.NoError(t, err)
			require.Len(t, resp.Choices, 1)
			assert.Contains(t, resp.Choices[0].Message.Content, "Simulated answer")
			assert.Equal(t, "stop", string(resp.Choices[0].FinishReason))

			stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
				Model:    "gemini-2.5-flash",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me more")},
			})
			var text strings.Builder
			for stream.Next() {
				for _, ch := range stream.Current().Choices {
					text.WriteString(ch.Delta.Content)
				}
			}
			require.NoError(t, stream.Err())
			assert.Contains(t, text.String(), "Simulated answer")

			models, err := c.Models.List(context.Background())
			require.NoError(t, err)
			assert.NotEmpty(t, models.Data)
		})
	}
	st, _ := gw.App.Pool.Status(keyA)
	assert.True(t, st.State.Benched, "the invalid key is benched on the OpenAI routes too")
}

// GET /v1/models answers in Gemini's shape for Google-style auth and in
// OpenAI's for bearer auth.
func TestV1ModelsShapeFollowsAuth(t *testing.T) {
	gw := newGateway(t)
	get := func(h, v string) map[string]json.RawMessage {
		req, _ := http.NewRequest("GET", gw.URL+"/v1/models", nil)
		req.Header.Set(h, v)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		b, _ := io.ReadAll(resp.Body)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	assert.Contains(t, get("x-goog-api-key", token), "models")
	oa := get("Authorization", "Bearer "+token)
	assert.Contains(t, oa, "data")
	assert.JSONEq(t, `"list"`, string(oa["object"]))
}

// Unknown OpenAI routes get OpenAI's error shape.
func TestUnknownV1RouteIsOpenAIError(t *testing.T) {
	gw := newGateway(t)
	req, _ := http.NewRequest("POST", gw.URL+"/v1/completions", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode)
	var e struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	assert.NotEmpty(t, e.Error.Message)
	assert.NotEmpty(t, e.Error.Type)
}
