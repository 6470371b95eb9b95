// Command floorproxy is the smallest honest Gemini pass-through proxy:
// net/http's server and httputil.ReverseProxy, no key pool, no logging. gbbench
// runs it in the gateway's place to show the floor a Go proxy has on the
// machine at hand.
package main

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
)

func main() {
	base, err := url.Parse(strings.TrimSuffix(os.Getenv("BASE_URL"), "/v1beta"))
	if err != nil {
		log.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(base)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	rp.FlushInterval = -1
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	mux.Handle("/", rp)
	log.Fatal(http.ListenAndServe(os.Getenv("HOST")+":"+os.Getenv("PORT"), mux))
}
