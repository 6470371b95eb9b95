package geminitest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/geminibalance/gb/gemini/geminitest"
)

// ExampleNewServer starts a simulator, registers two keys and calls
// generateContent the way any Gemini client would.
func ExampleNewServer() {
	s := geminitest.NewServer(geminitest.Options{})
	defer s.Close()
	s.SetKey("good-key", geminitest.Behavior{Kind: geminitest.Valid})
	s.SetKey("busy-key", geminitest.Behavior{Kind: geminitest.Quota, RetryDelay: 30 * time.Second})

	for _, key := range []string{"good-key", "busy-key", "unknown-key"} {
		req, _ := http.NewRequest("POST", s.URL+"/v1beta/models/gemini-2.5-flash:generateContent",
			strings.NewReader(`{"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-goog-api-key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var body struct {
			Candidates []geminitest.Candidate  `json:"candidates"`
			Error      struct{ Status string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			fmt.Println(resp.StatusCode, body.Candidates[0].Content.Parts[0].Text)
		} else {
			fmt.Println(resp.StatusCode, body.Error.Status)
		}
	}
	fmt.Println("calls with good-key:", s.Calls("good-key"))
	// Output:
	// 200 Simulated answer from gemini-2.5-flash to: Hello
	// 429 RESOURCE_EXHAUSTED
	// 400 INVALID_ARGUMENT
	// calls with good-key: 1
}
