package httpx

import (
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONContentType(t *testing.T) {
	for ct, ok := range map[string]bool{
		"": true, "application/json": true, "application/json; charset=utf-8": true,
		"application/merge-patch+json": true, "application/x-www-form-urlencoded": true, "text/plain;charset=UTF-8": true,
		"multipart/form-data; boundary=x": false, "text/html": false, "application/xml": false, ";;": false,
	} {
		assert.Equal(t, ok, JSONContentType(ct), ct)
	}
}

func TestReadAll(t *testing.T) {
	for _, declared := range []int64{-1, 0, 3, 11, 100} {
		b, err := ReadAll(iotest.OneByteReader(strings.NewReader("hello world")), declared, 1<<20, 8)
		require.NoError(t, err)
		assert.Equal(t, "hello world", string(b), "declared %d", declared)
	}
	b, _ := ReadAll(strings.NewReader("abc"), 3, 10, 16)
	assert.GreaterOrEqual(t, cap(b), 3+16, "room to append")
	_, err := ReadAll(iotest.ErrReader(assertErr{}), 5, 10, 0)
	assert.Error(t, err)
}

type assertErr struct{}

func (assertErr) Error() string { return "boom" }

func TestSetStreamHeaders(t *testing.T) {
	h := http.Header{}
	SetStreamHeaders(h, SSE)
	assert.Equal(t, "text/event-stream", h.Get("Content-Type"))
	assert.Equal(t, "no-cache", h.Get("Cache-Control"))
	assert.Equal(t, "no", h.Get("X-Accel-Buffering"))
	// A middleware appending a value gets its own copy: the shared one
	// stays as it was for every other answer.
	h.Add("Cache-Control", "no-store")
	assert.Equal(t, []string{"no-cache"}, noCache)
	SetStreamHeaders(h, JSONArray)
	assert.Equal(t, "application/json; charset=UTF-8", h.Get("Content-Type"))
}
