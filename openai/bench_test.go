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

func BenchmarkStreamEvent(b *testing.B) {
	b.ReportAllocs()
	tr := openai.NewStreamTranslator("chatcmpl-x", "gemini-2.5-flash", 1, &openai.Options{ShowThinking: true})
	for b.Loop() {
		if _, err := tr.Event(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
}
