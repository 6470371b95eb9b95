package gemini_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/gemini"
)

// readAll returns every event Next yields, copied, and the final error.
func readAll(r io.Reader) ([]string, error) {
	er := gemini.NewEventReader(r)
	defer er.Release()
	var out []string
	for {
		ev, err := er.Next()
		if err != nil {
			return out, err
		}
		out = append(out, string(ev))
	}
}

func TestEventReaderFraming(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"LF", "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n", []string{"data: {\"a\":1}\n\n", "data: {\"b\":2}\n\n"}},
		{"CRLF", "data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\n", []string{"data: {\"a\":1}\r\n\r\n", "data: {\"b\":2}\r\n\r\n"}},
		{"multi-line", "event: x\ndata: a\ndata: b\n\n", []string{"event: x\ndata: a\ndata: b\n\n"}},
		{"leading blank lines skipped", "\n\r\n\ndata: a\n\n", []string{"data: a\n\n"}},
		{"last event without blank line", "data: a\n\ndata: b", []string{"data: a\n\n", "data: b"}},
		{"last event with one newline", "data: a\n", []string{"data: a\n"}},
		{"raw JSON error", "{\n  \"error\": {\"code\": 500}\n}\n", []string{"{\n  \"error\": {\"code\": 500}\n}\n"}},
		{"empty", "", nil},
		{"only blank lines", "\n\n\r\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, rd := range map[string]func(string) io.Reader{
				"whole":    func(s string) io.Reader { return strings.NewReader(s) },
				"one byte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
				"half":     func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
			} {
				got, err := readAll(rd(tc.in))
				assert.ErrorIs(t, err, io.EOF)
				assert.Equal(t, tc.want, got)
			}
		})
	}
}

func TestEventReaderErrorPassesThrough(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("data: a\n\ndata: partial"), iotest.ErrReader(boom))
	got, err := readAll(r)
	assert.Equal(t, []string{"data: a\n\n"}, got)
	assert.ErrorIs(t, err, boom)
}

// TestEventReaderLongLines covers lines longer than the reader's 32 KiB
// buffer, including lengths right at the buffer boundary.
func TestEventReaderLongLines(t *testing.T) {
	for _, n := range []int{100, 32766, 32767, 32768, 32769, 65535, 65536, 65537, 200000} {
		for _, eol := range []string{"\n", "\r\n"} {
			line := "data: " + strings.Repeat("x", n-len("data: "))
			in := line + eol + eol + "data: next" + eol + eol
			got, err := readAll(strings.NewReader(in))
			assert.ErrorIs(t, err, io.EOF)
			var shape []string // length and last bytes of each event, to keep failures readable
			for _, ev := range got {
				shape = append(shape, fmt.Sprintf("%d:%q", len(ev), ev[max(0, len(ev)-12):]))
			}
			want := []string{
				fmt.Sprintf("%d:%q", len(line+eol+eol), (line + eol + eol)[len(line+eol+eol)-12:]),
				fmt.Sprintf("%d:%q", len("data: next"+eol+eol), ("data: next" + eol + eol)[max(0, len("data: next"+eol+eol)-12):]),
			}
			assert.Equal(t, want, shape, "line length %d, eol %q: each event must end with its blank line", n, eol)
		}
	}
}

func TestData(t *testing.T) {
	tests := []struct {
		name string
		ev   string
		want string
		ok   bool
	}{
		{"plain", "data: {\"a\":1}\r\n\r\n", `{"a":1}`, true},
		{"no space", "data:{\"a\":1}\n\n", `{"a":1}`, true},
		{"two spaces keeps one", "data:  x\n\n", " x", true},
		{"multi-line LF", "data: a\ndata: b\n\n", "a\nb", true},
		{"multi-line CRLF", "data: a\r\ndata: b\r\ndata: c\r\n\r\n", "a\nb\nc", true},
		{"other fields ignored", "event: message\nid: 3\n: comment\ndata: x\n\n", "x", true},
		{"empty data", "data:\n\n", "", true},
		{"no data", "event: ping\n\n", "", false},
		{"raw json", "{\"error\":{}}", "", false},
		{"no terminator", "data: x", "x", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := gemini.Data([]byte(tc.ev))
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, string(got))
		})
	}
}

func TestDataDoesNotAliasAcrossCalls(t *testing.T) {
	ev := []byte("data: a\ndata: b\n\n")
	got, _ := gemini.Data(ev)
	assert.Equal(t, "a\nb", string(got))
	assert.Equal(t, "data: a\ndata: b\n\n", string(ev), "Data must not modify its input")
}

func resp(code int, body string) *http.Response {
	return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(strings.NewReader(body))}
}

func TestPeekStream(t *testing.T) {
	t.Run("error passes through", func(t *testing.T) {
		boom := errors.New("dial failed")
		r, err := gemini.PeekStream(nil, boom)
		assert.Nil(t, r)
		assert.Equal(t, boom, err)
	})
	t.Run("non-200 passes through unread", func(t *testing.T) {
		in := resp(429, `{"error":{"code":429}}`)
		r, err := gemini.PeekStream(in, nil)
		require.NoError(t, err)
		assert.Same(t, in, r)
		b, _ := io.ReadAll(r.Body)
		assert.Equal(t, `{"error":{"code":429}}`, string(b))
	})
	t.Run("break before first event", func(t *testing.T) {
		for _, body := range []string{"", "\n\n", "data: {\"partial\""} {
			var in *http.Response
			if body == "data: {\"partial\"" {
				// A partial event then a broken connection.
				in = &http.Response{StatusCode: 200, Body: io.NopCloser(io.MultiReader(strings.NewReader(body), iotest.ErrReader(io.ErrUnexpectedEOF)))}
			} else {
				in = resp(200, body)
			}
			r, err := gemini.PeekStream(in, nil)
			assert.Nil(t, r)
			require.Error(t, err, "body %q", body)
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		}
	})
	t.Run("raw JSON error in a 200 body", func(t *testing.T) {
		for _, body := range []string{
			"{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"overloaded\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}\n",
			"[{\"error\": {\"code\": 429, \"message\": \"quota\", \"status\": \"RESOURCE_EXHAUSTED\"}}]",
		} {
			r, err := gemini.PeekStream(resp(200, body), nil)
			require.NoError(t, err)
			var want int
			if strings.HasPrefix(body, "[") {
				want = 429
			} else {
				want = 503
			}
			assert.Equal(t, want, r.StatusCode)
			b, _ := io.ReadAll(r.Body)
			assert.Equal(t, strings.TrimSpace(body), string(b))
		}
	})
	t.Run("good stream replays the first event", func(t *testing.T) {
		body := "data: {\"n\":1}\r\n\r\ndata: {\"n\":2}\r\n\r\ndata: {\"n\":3}\r\n\r\n"
		r, err := gemini.PeekStream(resp(200, body), nil)
		require.NoError(t, err)
		assert.Equal(t, 200, r.StatusCode)
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		assert.Equal(t, body, string(b))
		require.NoError(t, r.Body.Close())
	})
	t.Run("good stream read byte by byte", func(t *testing.T) {
		body := "data: {\"n\":1}\n\ndata: {\"n\":2}\n\n"
		in := &http.Response{StatusCode: 200, Body: io.NopCloser(iotest.OneByteReader(strings.NewReader(body)))}
		r, err := gemini.PeekStream(in, nil)
		require.NoError(t, err)
		b, err := io.ReadAll(iotest.OneByteReader(r.Body))
		require.NoError(t, err)
		assert.Equal(t, body, string(b))
		r.Body.Close()
	})
	t.Run("non-error JSON in a 200 body is not an error", func(t *testing.T) {
		r, err := gemini.PeekStream(resp(200, `{"candidates":[]}`), nil)
		require.NoError(t, err)
		assert.Equal(t, 200, r.StatusCode)
		r.Body.Close()
	})
}

func FuzzEventReader(f *testing.F) {
	f.Add([]byte("data: a\n\ndata: b\r\n\r\n"), uint8(0))
	f.Add([]byte("\n\n\r\ndata"), uint8(1))
	f.Add([]byte("{\"error\":{\"code\":500}}"), uint8(2))
	f.Add(bytes.Repeat([]byte("x"), 40000), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		var r io.Reader = bytes.NewReader(in)
		switch mode % 3 {
		case 1:
			r = iotest.OneByteReader(r)
		case 2:
			r = iotest.HalfReader(r)
		}
		evs, err := readAll(r)
		if !errors.Is(err, io.EOF) {
			t.Fatalf("error %v", err)
		}
		total := 0
		for _, ev := range evs {
			if len(bytes.TrimSpace([]byte(ev))) == 0 {
				t.Fatalf("blank event %q", ev)
			}
			gemini.Data([]byte(ev))
			total += len(ev)
		}
		if total > len(in) {
			t.Fatalf("events hold %d bytes, input %d", total, len(in))
		}
		// Every non-blank byte of the input is in some event.
		var joined []byte
		for _, ev := range evs {
			joined = append(joined, ev...)
		}
		if !bytes.Equal(bytes.Join(bytes.Fields(joined), nil), bytes.Join(bytes.Fields(in), nil)) {
			t.Fatalf("events %q lost bytes of %q", evs, in)
		}
		// The JSON answer to the PeekStream question must be consistent.
		var v any
		_ = json.Unmarshal(in, &v)
	})
}
