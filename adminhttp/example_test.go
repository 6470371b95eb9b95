package adminhttp_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/geminibalance/gb/adminhttp"
	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/storage/memory"
)

// A Handler mounted in a program's own mux, with its own pool and store:
// a script adds keys by pasting text and lists them, masked.
func Example() {
	pool := balancer.NewMemoryPool(nil, balancer.PoolOptions{})
	admin := &adminhttp.Handler{
		Pool:    pool,
		Store:   memory.New(),
		Options: func() adminhttp.Options { return adminhttp.Options{AdminToken: "s3cret-admin-token"} },
		Logger:  slog.New(slog.DiscardHandler),
	}
	mux := http.NewServeMux()
	mux.Handle("/", admin)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	call := func(method, path, body string) string {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret-admin-token")
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	fmt.Println(call("POST", "/api/keys", "AIzaSyExampleKey00000000000000000000001, AIzaTooShort"))
	fmt.Println(call("GET", "/api/keys/export", ""))
	// Output:
	// {"added":1,"duplicate":0,"malformed":1,"total":1}
	// {"count":1,"keys":["AIza…0001"],"masked":true}
}
