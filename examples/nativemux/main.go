// Command nativemux embeds gb in an existing service: the native Gemini API
// of a key pool is mounted in the service's own http.ServeMux, next to its
// other routes, behind the service's own authentication (here a per-team
// header checked against a table; use your SSO, mTLS or session instead).
//
// Run it with real keys:
//
//	GEMINI_KEYS=key1,key2 go run ./examples/nativemux
//	curl -s localhost:8080/ai/v1beta/models/gemini-2.5-flash:generateContent \
//	  -H 'X-Team-Secret: s3cret-search' -H 'Content-Type: application/json' \
//	  -d '{"contents":[{"parts":[{"text":"Hello"}]}]}'
package main

import (
	"crypto/subtle"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/gemini"
)

// teams maps a team's secret to its name. A real service would look this
// up in its own user store.
var teams = map[string]string{
	"s3cret-search": "search",
	"s3cret-ads":    "ads",
}

// teamAuth is a gemini.Authenticator that ignores gb's token conventions
// and checks the service's own header instead.
func teamAuth(r *http.Request, _ string) bool {
	got := r.Header.Get("X-Team-Secret")
	for secret := range teams {
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) == 1 {
			return true
		}
	}
	return false
}

// newMux returns the service's mux: its own routes plus gb under /ai/.
func newMux(keys []string, baseURL string) (*http.ServeMux, *balancer.MemoryPool, error) {
	client, err := gemini.NewClient(gemini.ClientSettings{BaseURL: baseURL})
	if err != nil {
		return nil, nil, err
	}
	pool := balancer.NewMemoryPool(keys, balancer.PoolOptions{MaxFailures: 3})
	native := &gemini.Handler{
		Pipeline: &balancer.Pipeline{
			Pool:       pool,
			MaxRetries: func() int { return 2 },
			Observe: func(a balancer.Attempt) {
				log.Printf("gemini %s model=%s attempt=%d outcome=%s latency=%s", a.Kind, a.Model, a.N, a.Verdict.Class, a.Latency)
			},
		},
		Client: client,
		// gb asks the Authenticator for every request; returning false
		// answers 401 in Google's error format. The token argument is
		// what the client sent as x-goog-api-key/?key=/Bearer; a custom
		// scheme may ignore it, as this one does.
		Auth: func(r *http.Request, token string) bool {
			return teamAuth(r, token)
		},
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		usable, benched, cooling := pool.Counts("gemini-2.5-flash")
		fmt.Fprintf(w, "keys usable=%d benched=%d cooling=%d\n", usable, benched, cooling)
	})
	// The handler finds "/v1beta/" (or "/v1/") anywhere in the path, so it
	// can live under any prefix.
	mux.Handle("/ai/", native)
	return mux, pool, nil
}

func main() {
	keys := strings.Split(os.Getenv("GEMINI_KEYS"), ",")
	base := os.Getenv("GEMINI_BASE_URL") // empty: Google's endpoint
	mux, _, err := newMux(keys, base)
	if err != nil {
		log.Fatal(err)
	}
	log.Println("listening on :8080")
	log.Fatal(http.ListenAndServe(":8080", mux))
}
