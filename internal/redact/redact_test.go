package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKey(t *testing.T) {
	assert.Equal(t, "AIza…x1Yz", Key("AIzaSyA1234567890abcdefghijklmnopqrx1Yz"))
	assert.Equal(t, "sh…", Key("short-token"))
	assert.Equal(t, "…", Key("ab"))
	assert.Equal(t, "", Key(""))
}

func TestText(t *testing.T) {
	key := "AIzaSyA1234567890abcdefghijklmnopqrstuv"
	s := Text("Consumer 'api_key:" + key + "' has been suspended; url ?key=secret-token-123&x=1")
	assert.NotContains(t, s, key)
	assert.NotContains(t, s, "secret-token-123")
	assert.Contains(t, s, "AIza…stuv")
	assert.Contains(t, s, "?key=secr…-123&x=1")
	assert.Equal(t, "my token was t0p-secret-token!", Text("my token was t0p-secret-token!"), "unknown shapes pass")
	assert.Equal(t, "token t0p-…oken", Text("token t0p-secret-token", "t0p-secret-token"), "known secrets are masked")
	assert.NotContains(t, Text("sk-abcdefghijklmnopqrstuvwxyz"), "sk-abcdefghijklmnopqrstuvwxyz")
}

// FuzzText checks that a known secret never survives masking.
func FuzzText(f *testing.F) {
	f.Add("AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv")
	f.Add("?key=abc&key=def", "abcdefghijklmnop")
	f.Fuzz(func(t *testing.T, s, known string) {
		out := Text(s+known, known)
		if len(known) >= 13 && strings.Contains(out, known) {
			t.Fatalf("secret %q still in %q", known, out)
		}
	})
}
