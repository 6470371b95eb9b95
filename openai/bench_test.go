package openai_test

import (
	"context"
	"testing"

	"github.com/geminibalance/gb/openai"
)

var benchRequest = []byte(`{"model":"gemini-2.5-flash","stream":true,"temperature":0.3,"messages":[
 {"role":"system","content":"You are a coding agent."},
 {"role":"user","content":"Fix the bug in main.go"},
 {"role":"assistant","content":null,"tool_calls":[{"id":"call_rabcdefghijklmnopqrst_AQID","type":"function","function":{"name":"edit_file","arguments":"{\"file_path\":\"/src/main.go\",\"old_string\":\"a\",\"new_string\":\"b\"}"}}]},
 {"role":"tool","tool_call_id":"call_rabcdefghijklmnopqrst_AQID","content":"{\"ok\":true}"},
 {"role":"user","content":"Now run the tests"}],
 "tools":[{"type":"function","function":{"name":"edit_file","parameters":` + agentTools["edit_file"] + `}},
  {"type":"function","function":{"name":"search_docs","parameters":` + agentTools["search_docs"] + `}},
  {"type":"function","function":{"name":"todo_write","parameters":` + agentTools["todo_write"] + `}}]}`)

var benchAnswer = []byte(`{"candidates":[{"content":{"parts":[{"text":"**Plan**","thought":true},{"text":"I will run the tests now. "},{"text":"They pass."},{"functionCall":{"name":"run","args":{"cmd":"go test ./..."}},"thoughtSignature":"CiIBVGhpcyBpcyBhIHNpZ25hdHVyZQ=="}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":812,"candidatesTokenCount":21,"totalTokenCount":900,"thoughtsTokenCount":67},"modelVersion":"gemini-2.5-flash","responseId":"abcDEF123"}`)

var benchEvent = []byte(`{"candidates": [{"content": {"parts": [{"text": "The quick brown fox jumps over the lazy dog, and then some more words follow."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 812,"candidatesTokenCount": 17,"totalTokenCount": 829},"modelVersion": "gemini-2.5-flash","responseId": "abcDEF123"}`)

func BenchmarkToGemini(b *testing.B) {
	b.ReportAllocs()
	opts := &openai.Options{ShowThinking: true}
	for b.Loop() {
		req, err := openai.ParseChatRequest(benchRequest)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := openai.ToGemini(context.Background(), req, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromGemini(b *testing.B) {
	b.ReportAllocs()
	opts := &openai.Options{ShowThinking: true}
	for b.Loop() {
		if _, err := openai.FromGemini(benchAnswer, "gemini-2.5-flash", opts); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSignature is a thought signature of a realistic size.
const benchSignature = "CtYDAdHtim9sGJ4jbl1Q3yZz2V0dLq8mN7rTfP4wXcA6eHsK1uBvIgRjYo5nQpE8aLkW3xZmD2cFhU9tSyOiVbN0qGrJ7lMwTeP6fKdH4zXsA1uC5vBnR8yQjL2mIo3kEgWtF9aDhS6cZxVpN7bUrKlO0wYeT4iMjG1fHqA5sLdB8nXvC2zRuP3yEoK9tWgQ6hJmI7aF0cSlN4bVxDrU1eZpO5kYwT8iGjM2fHqA3sLdB9nXvC6zRuP0yEoK7tWgQ4hJmI1aF5cSlN8bVxDrU2eZpO3kYwT9iGjM6fHqA0sLdB4nXvC1zRuP5yEoK8tWgQ2hJmI3aF9cSlN6bVxDrU7eZpO=="

// benchEvents are upstream SSE events as Gemini 2.5 sends them (": "
// separators, fields the translator skips included), one per kind of
// event a chat stream carries.
var benchEvents = []struct {
	name string
	data []byte
}{
	{"text", benchEvent},
	{"thought", []byte(`{"candidates": [{"content": {"parts": [{"text": "**Planning the test run**\n\nI'm going to run the whole suite, then look at the failures one by one.","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 812,"totalTokenCount": 870,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 812}],"thoughtsTokenCount": 58},"modelVersion": "gemini-2.5-flash","responseId": "Xk2caOXZBdXc1MkPxbnDmAI"}`)},
	{"call", []byte(`{"candidates": [{"content": {"parts": [{"functionCall": {"name": "edit_file","args": {"file_path": "/src/main.go","old_string": "a := 1\n","new_string": "a := 2\n","replace_all": false}},"thoughtSignature": "` + benchSignature + `"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 812,"candidatesTokenCount": 40,"totalTokenCount": 910,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 812}],"thoughtsTokenCount": 58},"modelVersion": "gemini-2.5-flash","responseId": "Xk2caOXZBdXc1MkPxbnDmAI"}`)},
	{"final", []byte(`{"candidates": [{"content": {"parts": [{"text": "All 112 tests pass — the fix is in. \u2705"}],"role": "model"},"finishReason": "STOP","index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_HATE_SPEECH","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_HARASSMENT","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT","probability": "NEGLIGIBLE"}],"citationMetadata": {"citationSources": [{"startIndex": 10,"endIndex": 120,"uri": "https://example.com/go-testing","license": ""}]}}],"usageMetadata": {"promptTokenCount": 812,"candidatesTokenCount": 61,"totalTokenCount": 931,"cachedContentTokenCount": 512,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 812}],"cacheTokensDetails": [{"modality": "TEXT","tokenCount": 512}],"thoughtsTokenCount": 58},"modelVersion": "gemini-2.5-flash","responseId": "Xk2caOXZBdXc1MkPxbnDmAI"}`)},
	{"logprobs", []byte(`{"candidates": [{"content": {"parts": [{"text": "Hello there"}],"role": "model"},"index": 0,"avgLogprobs": -0.21,"logprobsResult": {"topCandidates": [{"candidates": [{"token": "Hello","logProbability": -0.01},{"token": "Hi","logProbability": -4.7}]},{"candidates": [{"token": " there","logProbability": -0.41},{"token": "!","logProbability": -1.2}]}],"chosenCandidates": [{"token": "Hello","logProbability": -0.01},{"token": " there","logProbability": -0.41}]}}],"usageMetadata": {"promptTokenCount": 5,"candidatesTokenCount": 2,"totalTokenCount": 7},"modelVersion": "gemini-2.5-flash","responseId": "Xk2caOXZBdXc1MkPxbnDmAI"}`)},
}

// BenchmarkStreamTranslator translates one upstream event per iteration.
func BenchmarkStreamTranslator(b *testing.B) {
	for _, ev := range benchEvents {
		b.Run(ev.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(ev.data)))
			tr := openai.NewStreamTranslator("chatcmpl-x", "gemini-2.5-flash", 1, &openai.Options{ShowThinking: true})
			for b.Loop() {
				if _, err := tr.Event(ev.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchGroundedAnswer is a search-grounded unary answer: most of its bytes
// are metadata the translation skips.
var benchGroundedAnswer = []byte(`{"candidates":[{"content":{"parts":[{"text":"Go 1.26 was released in February 2026. It makes the new garbage collector the default and adds several library improvements."}],"role":"model"},"finishReason":"STOP","index":0,` +
	`"groundingMetadata":{"webSearchQueries":["go 1.26 release date","go 1.26 release notes"],"searchEntryPoint":{"renderedContent":"<style>.container{align-items:center;border-radius:8px;display:flex;font-family:Google Sans,Roboto,sans-serif;font-size:14px;line-height:20px;padding:8px 12px;}</style><div class=\"container\"><a class=\"chip\" href=\"https://www.google.com/search?q=go+1.26\">go 1.26</a></div>"},` +
	`"groundingChunks":[{"web":{"uri":"https://vertexaisearch.cloud.google.com/grounding-api-redirect/AbF9wXE1","title":"go.dev"}},{"web":{"uri":"https://vertexaisearch.cloud.google.com/grounding-api-redirect/AbF9wXE2","title":"github.com"}}],` +
	`"groundingSupports":[{"segment":{"endIndex":43,"text":"Go 1.26 was released in February 2026."},"groundingChunkIndices":[0],"confidenceScores":[0.93]},{"segment":{"startIndex":44,"endIndex":128,"text":"It makes the new garbage collector the default and adds several library improvements."},"groundingChunkIndices":[0,1],"confidenceScores":[0.88,0.71]}]},` +
	`"safetyRatings":[{"category":"HARM_CATEGORY_HATE_SPEECH","probability":"NEGLIGIBLE"},{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"NEGLIGIBLE"}]}],` +
	`"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":28,"totalTokenCount":160,"promptTokensDetails":[{"modality":"TEXT","tokenCount":9}],"toolUsePromptTokenCount":96,"toolUsePromptTokensDetails":[{"modality":"TEXT","tokenCount":96}],"thoughtsTokenCount":27},"modelVersion":"gemini-2.5-flash","responseId":"Zm2caPqXKMvZ1MkP9b6xwQE"}`)

func BenchmarkFromGeminiGrounded(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchGroundedAnswer)))
	for b.Loop() {
		if _, err := openai.FromGemini(benchGroundedAnswer, "gemini-2.5-flash", nil); err != nil {
			b.Fatal(err)
		}
	}
}
