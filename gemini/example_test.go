package gemini_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/gemini"
	"github.com/geminibalance/gb/gemini/geminitest"
)

// Mount the native Gemini API of a key pool in a mux of your own. The
// simulated Gemini API stands in for Google here.
func ExampleHandler() {
	sim := geminitest.NewServer(geminitest.Options{})
	defer sim.Close()
	sim.SetKey("AIzaSyExampleKey-bad", geminitest.Behavior{Kind: geminitest.Invalid})
	sim.SetKey("AIzaSyExampleKey-good", geminitest.Behavior{Kind: geminitest.Valid})

	client, err := gemini.NewClient(gemini.ClientSettings{BaseURL: sim.URL + "/v1beta"})
	if err != nil {
		panic(err)
	}
	pool := balancer.NewMemoryPool([]string{"AIzaSyExampleKey-bad", "AIzaSyExampleKey-good"}, balancer.PoolOptions{})
	h := &gemini.Handler{
		Pipeline: &balancer.Pipeline{Pool: pool},
		Client:   client,
		Auth:     gemini.StaticTokens("my-client-token"),
	}
	mux := http.NewServeMux()
	mux.Handle("/v1beta/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1beta/models/gemini-2.5-flash:generateContent",
		strings.NewReader(`{"contents":[{"parts":[{"text":"Hello"}]}]}`))
	req.Header.Set("x-goog-api-key", "my-client-token")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), "Simulated answer"))
	st, _ := pool.Status("AIzaSyExampleKey-bad")
	fmt.Println("bad key benched:", st.State.Benched, st.State.BenchReason)
	// Output:
	// 200 true
	// bad key benched: true API_KEY_INVALID
}

// ParseModel splits gemini-balance's model suffixes off a name.
func ExampleParseModel() {
	m := gemini.ParseModel("models/gemini-2.5-flash-search")
	fmt.Println(m.Upstream, m.Search)
	// Output: gemini-2.5-flash true
}
