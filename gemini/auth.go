package gemini

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// AuthStyle says how a client presented its token.
type AuthStyle uint8

const (
	// NoToken: the request carried no token.
	NoToken AuthStyle = iota
	// QueryKey: "?key=<token>".
	QueryKey
	// GoogleHeader: "x-goog-api-key: <token>".
	GoogleHeader
	// Bearer: "Authorization: Bearer <token>".
	Bearer
)

// GoogleStyle reports whether the client authenticated the way Google's
// own API expects (query key or x-goog-api-key).
func (s AuthStyle) GoogleStyle() bool { return s == QueryKey || s == GoogleHeader }

// ClientToken extracts the client's token: "?key=" first (as
// gemini-balance does), then the x-goog-api-key header, then an
// "Authorization: Bearer" header.
func ClientToken(r *http.Request) (string, AuthStyle) {
	if r.URL.RawQuery != "" {
		if k := r.URL.Query().Get("key"); k != "" {
			return k, QueryKey
		}
	}
	if k := r.Header.Get("x-goog-api-key"); k != "" {
		return k, GoogleHeader
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:]), Bearer
	}
	return "", NoToken
}

// Authenticator decides whether a client token may use the gateway. It
// receives the request too, so an embedding program can look at anything
// else it wants (a client certificate, a header of its own).
type Authenticator func(r *http.Request, token string) bool

// StaticTokens returns an Authenticator accepting exactly the given tokens
// (empty strings are ignored). Comparison takes the same time whatever the
// token, so it reveals nothing about the tokens it holds. With no tokens,
// every request is refused.
func StaticTokens(tokens ...string) Authenticator {
	sums := make([][32]byte, 0, len(tokens))
	for _, t := range tokens {
		if t != "" {
			sums = append(sums, sha256.Sum256([]byte(t)))
		}
	}
	return func(_ *http.Request, token string) bool {
		if token == "" {
			return false
		}
		got := sha256.Sum256([]byte(token))
		ok := 0
		for i := range sums {
			ok |= subtle.ConstantTimeCompare(got[:], sums[i][:])
		}
		return ok == 1
	}
}
