package openai

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeCase is one input for the hand decoder. fast says whether the
// decoder itself must take it (true) or hand it to encoding/json (false);
// either way the outcome must be encoding/json's.
type decodeCase struct {
	name string
	in   string
	fast bool
}

// decodeCases are realistic Gemini answers and stream events first, then
// the corners of encoding/json's behaviour. They seed FuzzDecodeGResponse.
var decodeCases = []decodeCase{
	// Stream events as Gemini 2.5 and 3 send them.
	{"text event", `{"candidates": [{"content": {"parts": [{"text": "The quick brown fox jumps over the lazy dog."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 812,"candidatesTokenCount": 17,"totalTokenCount": 829,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 812}]},"modelVersion": "gemini-2.5-flash","responseId": "abcDEF123"}`, true},
	{"thought event", `{"candidates": [{"content": {"parts": [{"text": "**Planning**\n\nI'll run the tests.","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 812,"totalTokenCount": 870,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 812}],"thoughtsTokenCount": 58},"modelVersion": "gemini-2.5-flash","responseId": "Xk2caOXZBdXc1MkPxbnDmAI"}`, true},
	{"thought signature on text", `{"candidates":[{"content":{"parts":[{"text":"Done.","thoughtSignature":"CiQB0e2Kb2VyaWZpZWQgc2lnbmF0dXJlIGJ5dGVzIGhlcmU="}],"role":"model"},"index":0}],"modelVersion":"gemini-3-pro-preview","responseId":"r1"}`, true},
	{"function call, nested args", `{"candidates": [{"content": {"parts": [{"functionCall": {"id": "fc_1","name": "edit_file","args": {"file_path": "/src/main.go","edits": [{"old": "a := 1\n","new": "a := 2\n"},{"old": "\"x\"","new": "'y'"}],"dry_run": false,"count": 2,"ratio": -1.5e-3,"meta": null}},"thoughtSignature": "CtYDAdHtim9sGJ4jbl1Q3yZz2V0dLq8mN7rTfP4w=="}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 812,"candidatesTokenCount": 40,"totalTokenCount": 910,"thoughtsTokenCount": 58},"modelVersion": "gemini-2.5-flash","responseId": "Xk2caOXZBdXc1MkPxbnDmAI"}`, true},
	{"parallel calls, args spacing kept", `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"a","args" : { "x" : [ 1 , 2 ] } }},{"functionCall":{"name":"b","args":{}}},{"functionCall":{"name":"c"}}],"role":"model"},"finishReason":"STOP"}]}`, true},
	{"final event with metadata to skip", `{"candidates": [{"content": {"parts": [{"text": "All tests pass. \u2705"}],"role": "model"},"finishReason": "STOP","index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_HATE_SPEECH","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "NEGLIGIBLE","blocked": false}],"citationMetadata": {"citationSources": [{"startIndex": 10,"endIndex": 120,"uri": "https://example.com/a?b=c&d=e","license": ""}]},"avgLogprobs": -0.2113,"urlContextMetadata": {}}],"usageMetadata": {"promptTokenCount": 812,"candidatesTokenCount": 61,"totalTokenCount": 931,"cachedContentTokenCount": 512,"toolUsePromptTokenCount": 96,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 700},{"modality": "IMAGE","tokenCount": 112}],"cacheTokensDetails": [{"modality": "TEXT","tokenCount": 512}],"candidatesTokensDetails": [{"modality": "TEXT","tokenCount": 61}],"toolUsePromptTokensDetails": [{"modality": "TEXT","tokenCount": 96}],"thoughtsTokenCount": 58},"modelVersion": "gemini-2.5-pro","responseId": "Xk2caOXZBdXc1MkPxbnDmAI","createTime": "2026-01-02T03:04:05.678Z"}`, true},
	{"grounded answer", `{"candidates":[{"content":{"parts":[{"text":"Go 1.26 was released in February 2026."}],"role":"model"},"finishReason":"STOP","index":0,"groundingMetadata":{"webSearchQueries":["go 1.26 release"],"searchEntryPoint":{"renderedContent":"<style>.c{color:#fff}</style><div class=\"c\">\u003ca href=\"https://x\"\u003ego\u003c/a\u003e</div>"},"groundingChunks":[{"web":{"uri":"https://vertexaisearch.cloud.google.com/grounding-api-redirect/AbF9","title":"go.dev"}}],"groundingSupports":[{"segment":{"endIndex":38,"text":"Go 1.26 was released in February 2026."},"groundingChunkIndices":[0],"confidenceScores":[0.93]}],"retrievalMetadata":{}}}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":12,"totalTokenCount":117,"toolUsePromptTokenCount":96},"modelVersion":"gemini-2.5-flash","responseId":"Zm2c"}`, true},
	{"multiple candidates", `{"candidates":[{"content":{"parts":[{"text":"one"}],"role":"model"},"finishReason":"STOP","index":0},{"content":{"parts":[{"text":"two"},{"text":" more"}],"role":"model"},"finishReason":"MAX_TOKENS","index":1},{"finishReason":"SAFETY","index":2,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH","blocked":true}]}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":9,"totalTokenCount":13}}`, true},
	{"logprobs", `{"candidates": [{"content": {"parts": [{"text": "Hello there"}],"role": "model"},"index": 0,"avgLogprobs": -0.21,"logprobsResult": {"topCandidates": [{"candidates": [{"token": "Hello","logProbability": -0.01},{"token": "Hi","logProbability": -4.7}]},{"candidates": [{"token": " there","logProbability": -0.41},{"token": "!","logProbability": -1.2E+1}]}],"chosenCandidates": [{"token": "Hello","logProbability": -0.01},{"token": " there","logProbability": 0}],"logProbabilitySum": -0.42}}]}`, true},
	{"logprobs corners", `{"candidates":[{"logprobsResult":{"topCandidates":[null,{},{"candidates":null},{"candidates":[]},{"candidates":[null,{}]}],"chosenCandidates":[]}},{"logprobsResult":{}}]}`, true},
	{"blocked prompt", `{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT","safetyRatings": [{"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT","probability": "NEGLIGIBLE"}]},"usageMetadata": {"promptTokenCount": 7,"totalTokenCount": 7},"modelVersion": "gemini-2.5-flash","responseId": "blk"}`, true},
	{"other parts", `{"candidates":[{"content":{"role":"model","parts":[{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}},{"executableCode":{"language":"PYTHON","code":"print(1+1)"}},{"codeExecutionResult":{"outcome":"OUTCOME_OK","output":"2\n"}},{"fileData":{"mimeType":"application/pdf","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}},{"functionResponse":{"id":"x","name":"f","response":{"result":[1,"two",{"3":true}]}}},{"text":"","thought":false,"videoMetadata":{"startOffset":"1s"}}]}}]}`, true},
	{"error event", `{"error": {"code": 429,"message": "Resource has been exhausted (e.g. check quota).","status": "RESOURCE_EXHAUSTED","details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo","retryDelay": "26s"}]}}`, true},
	{"error null", `{"error":null,"candidates":[{"content":{"parts":[{"text":"x"}]}}]}`, true},
	{"error string", `{"error":"boom"}`, true},

	// Strings.
	{"escapes", `{"responseId":"a\"b\\c\/d\be\ff\ng\rh\ti\u0000j\u001fk\u007fl\u00e9m\u20ACn\uFFFF"}`, true},
	{"surrogates", `{"candidates":[{"content":{"parts":[{"text":"\ud83d\ude00 \ud800 \udc00 \ud800\u0041 \udbff\udfff \ud800\ud800\udc00 \ude00\ud83d x\ud83d"}]}}]}`, true},
	{"raw unicode", "{\"modelVersion\":\"h\u00e9llo \u4e16\u754c \U0001F600 \u2028\u2029 \uFFFD\"}", true},
	{"invalid UTF-8", "{\"modelVersion\":\"a\xffb\xc3c\xe2\x82d\xed\xa0\x80e\xf4\x90\x80\x80f\xc0\xafg\"}", true},
	{"invalid UTF-8 with escapes", "{\"responseId\":\"\xff\\n\xfe\\u00e9\xc3\xa9\"}", true},
	{"DEL raw", "{\"responseId\":\"\x7f\"}", true},

	// Keys.
	{"keys in other case", `{"CANDIDATES":[{"Content":{"PARTS":[{"TEXT":"x","Thought":true,"FUNCTIONCALL":{"NAME":"f","ARGS":[1]}}],"ROLE":"user"},"INDEX":2,"FinishReason":"STOP"}],"usagemetadata":{"PROMPTTOKENCOUNT":3},"ModelVersion":"m","responseid":"r","ERROR":null}`, true},
	{"escaped keys", `{"c\u0061ndidates":[{"\u0069ndex":4,"content":{"p\u0061rts":[{"t\u0065xt":"y"}]}}],"\u0055sageMetadata":{"thoughtsTokenCount":1}}`, true},
	{"Kelvin sign and long s fold", "{\"usageMetadata\":{\"promptTo\u212aenCount\":5,\"thoughts\u212Aok\":1,\"thought\u017fTokenCount\":2},\"candidates\":[{\"content\":{\"parts\":[{\"thought\u017fignature\":\"sig\",\"\\u017Fext\":1}]}}]}", true},
	{"dotted I does not fold", "{\"candidates\":[{\"\u0130ndex\":3,\"\u0131ndex\":4}]}", true},
	{"unknown keys like known ones", `{"candidate":[1],"candidatesX":{},"usage":{"a":[{"b":[[[]]]}]},"":"","modelversion ":"x"}`, true},
	{"invalid UTF-8 key", "{\"responseId\xff\":\"x\",\"\xffresponseId\":\"y\"}", true},

	// Numbers.
	{"ints", `{"usageMetadata":{"promptTokenCount":-0,"candidatesTokenCount":0,"totalTokenCount":-123456789012345678,"cachedContentTokenCount":123456789012345678,"toolUsePromptTokenCount":7,"thoughtsTokenCount":-1}}`, true},
	{"19-digit int", `{"usageMetadata":{"promptTokenCount":1234567890123456789}}`, false},
	{"int64 max", `{"usageMetadata":{"promptTokenCount":9223372036854775807,"totalTokenCount":-9223372036854775808}}`, false},
	{"int overflow", `{"usageMetadata":{"promptTokenCount":9223372036854775808}}`, false},
	{"fraction for int", `{"usageMetadata":{"promptTokenCount":1.0}}`, false},
	{"exponent for int", `{"candidates":[{"index":1e2}]}`, false},
	{"floats", `{"candidates":[{"logprobsResult":{"chosenCandidates":[{"logProbability":-0},{"logProbability":0.0},{"logProbability":1e-400},{"logProbability":-1.7976931348623157e308},{"logProbability":5e-324},{"logProbability":123456789012345678901234567890},{"logProbability":0.1000000000000000055511151231257827}]}}]}`, true},
	{"float overflow", `{"candidates":[{"logprobsResult":{"chosenCandidates":[{"logProbability":1e400}]}}]}`, false},

	// null, empty and whitespace.
	{"nulls", `{"candidates":null,"promptFeedback":null,"usageMetadata":null,"modelVersion":null,"responseId":null}`, true},
	{"nulls inside", `{"candidates":[null,{"content":null,"finishReason":null,"index":null,"logprobsResult":null},{"content":{"role":null,"parts":[null,{"text":null,"thought":null,"thoughtSignature":null,"inlineData":null,"functionCall":{"id":null,"name":null,"args":null},"functionResponse":{"response":null},"fileData":null,"executableCode":null,"codeExecutionResult":null}]}}],"promptFeedback":{"blockReason":null},"usageMetadata":{"promptTokenCount":null}}`, true},
	{"empty", `{"candidates":[],"promptFeedback":{},"usageMetadata":{}}`, true},
	{"empty candidate", `{"candidates":[{},{"content":{}},{"content":{"parts":[]}},{"content":{"parts":[{}]}}]}`, true},
	{"empty object", `{}`, true},
	{"whitespace", " \t\r\n{ \t\r\n\"candidates\" \t\r\n: \t\r\n[ \t\r\n{ \"index\" : 1 , \"content\" : { \"parts\" : [ { \"text\" : \"a\" } , { \"thought\" : true } ] } } \t\r\n] \t\r\n} \t\r\n", true},
	{"false bool", `{"candidates":[{"content":{"parts":[{"thought":false,"text":"t"}]}}]}`, true},

	// Left to encoding/json: it succeeds.
	{"top-level null", `null`, false},
	{"top-level null spaced", " null\n", false},
	{"repeated field", `{"candidates":[{"index":1,"content":{"parts":[{"text":"a"}]}}],"candidates":[{"finishReason":"STOP","content":{"parts":[{"thought":true},{"text":"b"}]}}]}`, false},
	{"repeated field, other case", `{"responseId":"a","RESPONSEID":"b"}`, false},
	{"repeated field then null", `{"modelVersion":"a","modelVersion":null,"usageMetadata":{"promptTokenCount":1},"usageMetadata":null}`, false},
	{"repeated nested", `{"usageMetadata":{"promptTokenCount":1,"promptTokenCount":2}}`, false},
	{"deep unknown", `{"x":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `,"responseId":"r"}`, false},

	// Left to encoding/json: it fails on the type.
	{"string for int", `{"candidates":[{"index":"1"}]}`, false},
	{"object for slice", `{"candidates":{}}`, false},
	{"array for pointer", `{"usageMetadata":[]}`, false},
	{"number for string", `{"modelVersion":1}`, false},
	{"string for bool", `{"candidates":[{"content":{"parts":[{"thought":"true"}]}}]}`, false},
	{"bool for float", `{"candidates":[{"logprobsResult":{"chosenCandidates":[{"logProbability":true}]}}]}`, false},
	{"top-level array", `[]`, false},
	{"top-level string", `"x"`, false},
	{"top-level number", `1`, false},

	// Left to encoding/json: it fails on the syntax.
	{"empty input", ``, false},
	{"only space", " \n", false},
	{"unterminated", `{"candidates":[`, false},
	{"unterminated string", `{"responseId":"abc`, false},
	{"trailing comma array", `{"candidates":[{},]}`, false},
	{"trailing comma object", `{"responseId":"a",}`, false},
	{"leading comma", `{,"responseId":"a"}`, false},
	{"missing colon", `{"responseId" "a"}`, false},
	{"missing comma", `{"responseId":"a" "modelVersion":"b"}`, false},
	{"leading zero", `{"x":01}`, false},
	{"leading zero in known", `{"usageMetadata":{"promptTokenCount":00}}`, false},
	{"lone minus", `{"x":-}`, false},
	{"bare fraction", `{"x":1.}`, false},
	{"no integer part", `{"x":.5}`, false},
	{"plus sign", `{"x":+1}`, false},
	{"bare exponent", `{"x":1e}`, false},
	{"exponent sign only", `{"x":1e+}`, false},
	{"hex number", `{"x":0x10}`, false},
	{"short literal", `{"x":tru}`, false},
	{"long literal", `{"x":nulll}`, false},
	{"literals run together", `{"candidates":[{"content":{"parts":[{"thought":truefalse}]}}]}`, false},
	{"capital literal", `{"x":True}`, false},
	{"control byte in string", "{\"responseId\":\"a\x01b\"}", false},
	{"newline in string", "{\"x\":\"a\nb\"}", false},
	{"unit separator in string", "{\"responseId\":\"\x1f\"}", false},
	{"bad escape", `{"responseId":"\q"}`, false},
	{"single quote escape", `{"responseId":"\'"}`, false},
	{"bad unicode escape", `{"responseId":"\u12G4"}`, false},
	{"short unicode escape", `{"responseId":"\u12"}`, false},
	{"escape at end", `{"responseId":"\`, false},
	{"trailing data", `{}x`, false},
	{"two documents", `{} {}`, false},
	{"trailing NUL", "{}\x00", false},
	{"byte order mark", "\xef\xbb\xbf{}", false},
	{"non-JSON whitespace", "{\"x\":\v1}", false},
	{"NBSP whitespace", "{\"x\":\u00a01}", false},
	{"single quotes", `{'x':1}`, false},
	{"unquoted key", `{x:1}`, false},
	{"mismatched brackets", `{"candidates":[}`, false},
	{"object closed by bracket", `{"candidates":[{"index":1]}`, false},
	{"array closed by brace", `{"candidates":[{"index":1}},"x":1}`, false},
	{"skipped object closed by bracket", `{"x":[{"a":1]}`, false},
	{"too deep", `{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, false},
	{"number key", `{1:2}`, false},
}

// fastDecode runs the hand decoder alone, without falling back.
func fastDecode(data []byte, ev *streamEvent) bool {
	d := decoder{data: data}
	return d.begin() && d.response(&ev.gResponse, &ev.Error) && d.end()
}

// checkDecode compares decodeGResponse and decodeStreamEvent with
// encoding/json on data, and checks that nothing decoded aliases data.
func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	var want gResponse
	werr := json.Unmarshal(data, &want)
	buf := bytes.Clone(data)
	var got gResponse
	gerr := decodeGResponse(buf, &got)
	checkSame(t, "gResponse", want, werr, got, gerr)

	var wantEv streamEvent
	werr = json.Unmarshal(data, &wantEv)
	var gotEv streamEvent
	gerr = decodeStreamEvent(buf, &gotEv)
	checkSame(t, "streamEvent", wantEv, werr, gotEv, gerr)

	// The input buffer is reused by the stream reader: the decoded values
	// must not change with it.
	for i := range buf {
		buf[i] = '#'
	}
	checkSame(t, "gResponse after clobbering the input", want, nil, got, nil)
	checkSame(t, "streamEvent after clobbering the input", wantEv, nil, gotEv, nil)
}

func checkSame[T any](t *testing.T, what string, want T, werr error, got T, gerr error) {
	t.Helper()
	switch {
	case werr != nil && gerr == nil:
		t.Fatalf("%s: encoding/json fails (%v), the hand decoder does not", what, werr)
	case werr == nil && gerr != nil:
		t.Fatalf("%s: the hand decoder fails (%v), encoding/json does not", what, gerr)
	case werr != nil:
		if werr.Error() != gerr.Error() {
			t.Fatalf("%s: error %q, encoding/json's is %q", what, gerr, werr)
		}
		return
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(streamEvent{})); diff != "" {
		t.Fatalf("%s: differs from encoding/json (-want +got):\n%s", what, diff)
	}
}

func TestDecodeGResponse(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range decodeCases {
		if seen[tc.name] {
			t.Fatalf("case name %q used twice", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			checkDecode(t, []byte(tc.in))
			var ev streamEvent
			if fast := fastDecode([]byte(tc.in), &ev); fast != tc.fast {
				t.Errorf("hand decoder took it: %v, want %v", fast, tc.fast)
			}
		})
	}
}

// TestDecodeReadsWhatTranslatorNeeds spot-checks values, in case both
// decoders agreed on something wrong.
func TestDecodeReadsWhatTranslatorNeeds(t *testing.T) {
	var ev streamEvent
	in := `{"candidates":[{"content":{"parts":[{"text":"a\u00e9\ud83d\ude00\ud800!"},{"functionCall":{"name":"f","args" : {"x": 1} },"thoughtSignature":"AQID"}],"role":"model"},"finishReason":"STOP","index":2}],` +
		`"usageMetadata":{"promptTokenCount":3,"thoughtsTokenCount":5,"cachedContentTokenCount":1},"promptFeedback":{"blockReason":"SAFETY"},"error":null}`
	if err := decodeStreamEvent([]byte(in), &ev); err != nil {
		t.Fatal(err)
	}
	c := ev.Candidates[0]
	parts := c.Content.Parts
	switch {
	case parts[0].Text != "aé😀\uFFFD!":
		t.Errorf("text %q", parts[0].Text)
	case string(parts[1].FunctionCall.Args) != `{"x": 1}` || parts[1].ThoughtSignature != "AQID":
		t.Errorf("call %+v %q", parts[1].FunctionCall, parts[1].ThoughtSignature)
	case c.Index != 2 || c.FinishReason != "STOP" || c.Content.Role != "model":
		t.Errorf("candidate %+v", c)
	case *ev.UsageMetadata != gUsage{PromptTokenCount: 3, ThoughtsTokenCount: 5, CachedContentTokenCount: 1}:
		t.Errorf("usage %+v", ev.UsageMetadata)
	case ev.PromptFeedback.BlockReason != "SAFETY" || string(ev.Error) != "null":
		t.Errorf("feedback %+v, error %q", ev.PromptFeedback, ev.Error)
	}
}

// TestDecodeFieldSets checks the decoder's field names against the json
// tags of the structs in wire.go, so that a field added there is not
// silently left out here.
func TestDecodeFieldSets(t *testing.T) {
	for _, tc := range []struct {
		v      any
		fields fieldSet
	}{
		{gResponse{}, responseFields},
		{promptFeedback{}, promptFeedbackFields},
		{gCandidate{}, candidateFields},
		{gContent{}, contentFields},
		{gPart{}, partFields},
		{gBlob{}, blobFields},
		{gFileData{}, fileDataFields},
		{gFunctionCall{}, functionCallFields},
		{gFunctionResponse{}, functionRespFields},
		{gExecutableCode{}, execCodeFields},
		{gCodeResult{}, codeResultFields},
		{gLogprobs{}, logprobsFields},
		{topCandidates{}, topCandidatesFields},
		{gTokenLogprob{}, tokenLogprobFields},
		{gUsage{}, usageFields},
	} {
		typ := reflect.TypeOf(tc.v)
		var names []string
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			names = append(names, name)
		}
		if diff := cmp.Diff(names, []string(tc.fields)); diff != "" {
			t.Errorf("%v: field names differ (-struct +decoder):\n%s", typ, diff)
		}
	}
	ev := reflect.TypeOf(streamEvent{})
	if ev.NumField() != 2 || !ev.Field(0).Anonymous || ev.Field(1).Tag.Get("json") != "error" {
		t.Errorf("streamEvent is no longer gResponse and error")
	}
	if diff := cmp.Diff(append(responseFields[:len(responseFields):len(responseFields)], "error"), streamEventFields); diff != "" {
		t.Errorf("streamEventFields (-want +got):\n%s", diff)
	}
}

func FuzzDecodeGResponse(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
	})
}

// BenchmarkDecode compares encoding/json with the hand decoder on
// realistic stream events and answers.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"text event", "thought event", "function call, nested args", "final event with metadata to skip", "logprobs", "grounded answer"} {
		var in []byte
		for _, tc := range decodeCases {
			if tc.name == name {
				in = []byte(tc.in)
			}
		}
		name = strings.ReplaceAll(strings.ReplaceAll(name, " ", "-"), ",", "")
		b.Run("encoding-json/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				var ev streamEvent
				if err := json.Unmarshal(in, &ev); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("hand/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				var ev streamEvent
				if err := decodeStreamEvent(in, &ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
