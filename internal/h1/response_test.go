package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headSeeds are answers as upstreams send them, plus corners.
var headSeeds = []string{
	"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\nVary: Origin\r\nVary: X-Origin\r\nContent-Length: 11\r\n\r\n{\"ok\":true}",
	"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nx-goog-request-id: abc\r\n\r\n" +
		"11\r\ndata: {\"a\":1}\r\n\r\n\r\n11\r\ndata: {\"a\":2}\r\n\r\n\r\n0\r\n\r\n",
	"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\nHTTP/1.1 200 OK\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 204 No Content\r\n\r\n",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Tab:\tv\t\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nBad Name: v\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\n\r\nuntil close",
}

// FuzzParseHead checks the lean parser against http.ReadResponse: wherever
// it takes an answer, the head, the body bytes, their errors and the bytes
// left on the connection after the body must be what net/http gives.
func FuzzParseHead(f *testing.F) {
	for _, s := range headSeeds {
		f.Add([]byte(s), false, uint8(0))
		f.Add([]byte(s), true, uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool, readSize uint8) {
		method := http.MethodPost
		if head {
			method = http.MethodGet
		}
		req, _ := http.NewRequest(method, "http://upstream.test/v1beta/models", nil)
		br := bufio.NewReaderSize(bytes.NewReader(data), 2<<10)
		if _, err := br.Peek(1); err != nil {
			return
		}
		resp, mode, length, ok := parseHead(br, req)
		if !ok {
			return
		}
		want, err := http.ReadResponse(bufio.NewReaderSize(bytes.NewReader(data), 2<<10), req)
		if err != nil {
			t.Fatalf("parseHead took an answer net/http refuses (%v): %q", err, data)
		}
		got := map[string]any{"Status": resp.Status, "StatusCode": resp.StatusCode, "Proto": resp.Proto,
			"Header": resp.Header, "ContentLength": resp.ContentLength, "TE": resp.TransferEncoding, "Close": resp.Close}
		exp := map[string]any{"Status": want.Status, "StatusCode": want.StatusCode, "Proto": want.Proto,
			"Header": want.Header, "ContentLength": want.ContentLength, "TE": want.TransferEncoding, "Close": want.Close}
		if d := cmp.Diff(exp, got); d != "" {
			t.Fatalf("head differs for %q (-net/http +parseHead):\n%s", data, d)
		}
		// Bodies, read in small pieces on our side.
		wantBR := bufio.NewReaderSize(bytes.NewReader(data), 2<<10)
		want, _ = http.ReadResponse(wantBR, req)
		wantBody, wantErr := io.ReadAll(want.Body)
		size := int(readSize%16) + 1
		var gotBody []byte
		var gotErr error
		var st chunkState
		left := length
		p := make([]byte, size)
		for range 1 << 16 {
			var n int
			if mode == bodyChunked {
				n, gotErr = readChunked(br, p, &st)
			} else {
				n, gotErr = readLength(br, p, &left)
			}
			gotBody = append(gotBody, p[:n]...)
			if gotErr != nil {
				break
			}
		}
		if gotErr == io.EOF {
			gotErr = nil
		}
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("body errors differ for %q: net/http %v, ours %v", data, wantErr, gotErr)
		}
		if wantErr != nil {
			return
		}
		if !bytes.Equal(wantBody, gotBody) {
			t.Fatalf("bodies differ for %q: net/http %q, ours %q", data, wantBody, gotBody)
		}
		restWant, _ := io.ReadAll(wantBR)
		restGot, _ := io.ReadAll(br)
		if !bytes.Equal(restWant, restGot) {
			t.Fatalf("bytes left on the connection differ for %q: net/http %q, ours %q", data, restWant, restGot)
		}
	})
}

func TestParseHeadTakesPlainAnswers(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "http://x/", nil)
	tests := []struct {
		in   string
		take bool
	}{
		{headSeeds[0], true},
		{headSeeds[1], true},
		{headSeeds[2], true},
		{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.1 204 No Content\r\n\r\n", false},
		{"HTTP/1.1 100 Continue\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\n\r\nuntil close", false},
		{"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", false},
		{"HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nok", false},
	}
	for _, tt := range tests {
		br := bufio.NewReaderSize(strings.NewReader(tt.in), 2<<10)
		br.Peek(1)
		resp, _, _, ok := parseHead(br, req)
		assert.Equal(t, tt.take, ok, "%q", tt.in)
		if ok {
			assert.Equal(t, req, resp.Request)
		} else {
			assert.Equal(t, len(tt.in), br.Buffered(), "nothing consumed when not taken")
		}
	}
	// A head split across reads is left to net/http.
	br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(headSeeds[0])), 2<<10)
	br.Peek(1)
	_, _, _, ok := parseHead(br, req)
	assert.False(t, ok)
}

func TestChunkedBodyEndsWithLastData(t *testing.T) {
	// The final chunk is buffered with the last data: io.EOF comes with it,
	// so the connection goes back to the pool without another Read.
	in := "5\r\nhello\r\n0\r\n\r\n"
	br := bufio.NewReader(strings.NewReader(in))
	br.Peek(1)
	var st chunkState
	p := make([]byte, 64)
	n, err := readChunked(br, p, &st)
	assert.Equal(t, "hello", string(p[:n]))
	assert.Equal(t, io.EOF, err)
	assert.Zero(t, br.Buffered())

	// Too much framing per byte of data is refused, as net/http does.
	var b strings.Builder
	for range 2000 {
		b.WriteString("1;" + strings.Repeat("x", 40) + "\r\nA\r\n")
	}
	br = bufio.NewReader(strings.NewReader(b.String()))
	st = chunkState{}
	_, err = io.ReadAll(readerFunc(func(p []byte) (int, error) { return readChunked(br, p, &st) }))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too much non-data")
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
