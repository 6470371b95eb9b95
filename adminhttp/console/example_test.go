package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/geminibalance/gb/adminhttp/console"
)

// A console mounted in front of an admin API. Here a stand-in answers
// GET /api/auth/session; gbserver passes its adminhttp.Handler instead.
// Pages need a session: without one they lead to the log-in page.
func Example() {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("gb_session"); err == nil && c.Value == "valid" && r.URL.Path == "/api/auth/session" {
			fmt.Fprint(w, `{"authenticated":true}`)
			return
		}
		http.Error(w, `{"error":{"code":"unauthorized"}}`, http.StatusUnauthorized)
	})
	con := &console.Handler{Authenticated: console.SessionCheck(api), Version: "v1.0.0"}

	mux := http.NewServeMux()
	for _, p := range []string{"GET /{$}", "GET /keys", "GET /config", "GET /logs", "GET /static/"} {
		mux.Handle(p, con)
	}
	mux.Handle("/", api) // POST /auth, POST /logout and /api/… in gbserver

	get := func(path, cookie string) {
		r := httptest.NewRequest("GET", path, nil)
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s → %d %s", path, w.Code, w.Header().Get("Location"))))
	}
	get("/keys", "")
	get("/", "")
	get("/", "gb_session=valid")
	get("/keys", "gb_session=valid")
	// Output:
	// /keys → 302 /
	// / → 200
	// / → 302 /keys
	// /keys → 200
}
