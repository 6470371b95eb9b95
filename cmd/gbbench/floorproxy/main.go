// Command floorproxy is the smallest honest Gemini pass-through proxy:
// net/http's server and httputil.ReverseProxy, no key pool, no logging.
// gbbench runs it in the gateway's place to show the floor any Go proxy
// built on net/http has on the machine at hand.
//
// With FLOOR_SIM=1 it serves the simulated Gemini API itself instead
// (gemini/geminitest, any key accepted), so that gbbench can also measure
// what crossing into another process costs, without a proxy.
//
// It reads BASE_URL (the upstream, with /v1beta), HOST and PORT, like
// gbserver, and answers GET /health.
package main

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/geminibalance/gb/gemini/geminitest"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	if os.Getenv("FLOOR_SIM") == "1" {
		events, _ := strconv.Atoi(os.Getenv("FLOOR_SIM_EVENTS"))
		sim := geminitest.NewUnstartedServer(geminitest.Options{AcceptAnyKey: true, DisableRecording: true, StreamEvents: events})
		mux.Handle("/", sim.Handler())
	} else {
		base, err := url.Parse(strings.TrimSuffix(os.Getenv("BASE_URL"), "/v1beta"))
		if err != nil || base.Host == "" {
			log.Fatalf("floorproxy: BASE_URL %q is not a URL", os.Getenv("BASE_URL"))
		}
		rp := httputil.NewSingleHostReverseProxy(base)
		rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
		rp.FlushInterval = -1 // every write is flushed, as a stream relay must
		mux.Handle("/", rp)
	}
	log.Fatal(http.ListenAndServe(os.Getenv("HOST")+":"+os.Getenv("PORT"), mux))
}
