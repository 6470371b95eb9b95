package jsonx

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestField(t *testing.T) {
	tests := []struct {
		doc   string
		names []string
		want  string
		found bool
	}{
		{`{"a":1,"safetySettings":[{"x":"}"}],"b":2}`, []string{"safetySettings"}, `[{"x":"}"}]`, true},
		{` { "a" : "x\"safetySettings\"" , "c" : {"safetySettings":1} } `, []string{"safetySettings"}, ``, false},
		{`{"safety_settings":[]}`, []string{"safetySettings", "safety_settings"}, `[]`, true},
		{`{"n": -1.5e3, "t": true, "z": null}`, []string{"z"}, `null`, true},
		{`{}`, []string{"a"}, ``, false},
		{`[1]`, []string{"a"}, ``, false},
	}
	for _, tt := range tests {
		got, ok := Field([]byte(tt.doc), tt.names...)
		assert.Equal(t, tt.found, ok, tt.doc)
		assert.Equal(t, tt.want, string(got), tt.doc)
	}
}

func TestAppendMember(t *testing.T) {
	assert.Equal(t, `{"a":1,"s":[]}`, string(AppendMember([]byte(`{"a":1}`), "s", []byte(`[]`))))
	assert.Equal(t, `{"s":[]}`, string(AppendMember([]byte("{ \n }"), "s", []byte(`[]`))))
	assert.Equal(t, `}`, string(AppendMember([]byte(`}`), "s", []byte(`[]`))), "malformed input comes back unchanged")
}

func TestIntAndIsObject(t *testing.T) {
	n, ok := Int([]byte(`{"usageMetadata": {"totalTokenCount": 12}, "x": {"totalTokenCount" : 34}}`), "totalTokenCount")
	assert.True(t, ok)
	assert.Equal(t, 34, n, "the last occurrence wins (streams repeat running totals)")
	_, ok = Int([]byte(`{"totalTokenCount": "x"}`), "totalTokenCount")
	assert.False(t, ok)
	assert.True(t, IsObject([]byte(" {}")))
	assert.False(t, IsObject([]byte("[]")))
}

// FuzzField checks Field and AppendMember never panic and that appending
// to a valid object keeps it valid.
func FuzzField(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"b":[1,"}"]},"c":"\\""}`, `{}`, `[]`, `}`, `{"a"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		Field(b, "a", "c")
		Int(b, "a")
		if json.Valid(b) && IsObject(b) {
			out := AppendMember(b, "zz", []byte(`[1]`))
			if !json.Valid(out) {
				t.Fatalf("AppendMember(%q) = %q is not valid JSON", b, out)
			}
			v, ok := Field(out, "zz")
			if !ok || string(v) != "[1]" {
				t.Fatalf("appended member not found in %q", out)
			}
		}
	})
}
