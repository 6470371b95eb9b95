package gemini

import (
	"bytes"
	"testing"

	"github.com/geminibalance/gb/internal/jsonx"
)

// appendMemberInPlace must produce exactly jsonx.AppendMember's bytes, and
// only when the body has room for them.
func TestAppendMemberInPlace(t *testing.T) {
	value := []byte(`[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"}]`)
	for _, in := range []string{
		`{}`, `{ }`, "{\n}\n", `{"contents":[]}`, "{\"a\":1}  \r\n", `{"a":{"b":"}"}}`, `[]`, `"x"`, ``, `{"a":1`,
	} {
		want := jsonx.AppendMember([]byte(in), "safetySettings", value)
		roomy := make([]byte, len(in), len(in)+len(value)+len(`,"safetySettings":}`))
		copy(roomy, in)
		got, ok := appendMemberInPlace(roomy, "safetySettings", value)
		if ok && !bytes.Equal(got, want) {
			t.Errorf("%q: in place %q, AppendMember %q", in, got, want)
		}
		if ok && &got[0] != &roomy[0] {
			t.Errorf("%q: not appended in place", in)
		}
		if !ok && !bytes.Equal(want, []byte(in)) {
			t.Errorf("%q: refused although AppendMember changes it to %q", in, want)
		}
		tight := []byte(in)[:len(in):len(in)]
		if _, ok := appendMemberInPlace(tight, "safetySettings", value); ok && len(in) > 0 {
			t.Errorf("%q: claimed room it does not have", in)
		}
	}
}

// The exported PrepareRequest never writes into its argument, even when
// it has spare capacity.
func TestPrepareRequestLeavesInputAlone(t *testing.T) {
	in := make([]byte, 0, 512)
	in = append(in, `{"contents":[{"parts":[{"text":"hi"}]}]}`...)
	orig := bytes.Clone(in[:cap(in)])
	s := &Settings{SafetySettings: []byte(`[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"}]`)}
	out, err := PrepareRequest(in, "generateContent", ParseModel("gemini-2.5-flash"), s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in[:cap(in)], orig) {
		t.Error("PrepareRequest wrote into its argument's backing array")
	}
	if !bytes.Contains(out, []byte(`"safetySettings"`)) {
		t.Errorf("no safetySettings in %s", out)
	}
}
