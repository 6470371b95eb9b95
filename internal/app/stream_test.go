package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/config"
)

// openStream starts a streaming request and returns the response with its
// body unread; the request is canceled when the test ends.
func openStream(t *testing.T, ctx context.Context, gw *gateway, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, gw.URL+path, strings.NewReader(hello))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-goog-api-key", token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestStreamFirstEventBeforeUpstreamEnds(t *testing.T) {
	gw := newGateway(t, withKeys(keyA), withSim(geminitest.Options{EventInterval: 300 * time.Millisecond, StreamEvents: 5}))
	resp := openStream(t, t.Context(), gw, flashStream+"?alt=sse")
	require.Equal(t, 200, resp.StatusCode)
	br := bufio.NewReader(resp.Body)
	ev, err := readEvent(br)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(ev, "data: "), "%q", ev)
	// The upstream handler is still producing the rest of the stream.
	assert.Equal(t, 1, gw.Sim.Active(), "first event should be relayed while the upstream is still streaming")
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	evs := sseEvents(t, append([]byte(ev), rest...))
	assert.Len(t, evs, 5)
	eventually(t, "upstream handler to finish", func() bool { return gw.Sim.Active() == 0 })
}

func TestStreamFirstElementBeforeUpstreamEnds_JSONArray(t *testing.T) {
	gw := newGateway(t, withKeys(keyA), withSim(geminitest.Options{EventInterval: 300 * time.Millisecond, StreamEvents: 5}))
	resp := openStream(t, t.Context(), gw, flashStream)
	require.Equal(t, 200, resp.StatusCode)
	br := bufio.NewReader(resp.Body)
	// The array opens with "[" followed by the first element.
	var first []byte
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('['), tok)
	var el json.RawMessage
	require.NoError(t, dec.Decode(&el))
	first = el
	assert.Equal(t, 1, gw.Sim.Active(), "first element should be relayed while the upstream is still streaming")
	assert.NotEmpty(t, respText(t, first))
	n := 1
	for dec.More() {
		require.NoError(t, dec.Decode(&el))
		n++
	}
	assert.Equal(t, 5, n)
}

func TestStreamClientDisconnectCancelsUpstream(t *testing.T) {
	for _, path := range []string{flashStream + "?alt=sse", flashStream} {
		t.Run(path, func(t *testing.T) {
			// Without cancellation the upstream would run for 40 s.
			gw := newGateway(t, withKeys(keyA), withSim(geminitest.Options{EventInterval: 10 * time.Second, StreamEvents: 5}))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			resp := openStream(t, ctx, gw, path)
			require.Equal(t, 200, resp.StatusCode)
			buf := make([]byte, 1)
			_, err := resp.Body.Read(buf) // some of the first event has arrived
			require.NoError(t, err)
			require.Equal(t, 1, gw.Sim.Active())
			cancel()
			eventually(t, "the upstream call to be canceled", func() bool { return gw.Sim.Active() == 0 })
			// A disconnect is not the key's fault.
			eventually(t, "the attempt to be finished", func() bool {
				st, _ := gw.App.Pool.Status(keyA)
				return !st.State.Benched && st.State.Failures == 0
			})
		})
	}
}

func TestStreamBreaksMidway(t *testing.T) {
	for _, sse := range []bool{true, false} {
		name := "json-array"
		path := flashStream
		if sse {
			name, path = "sse", flashStream+"?alt=sse"
		}
		t.Run(name, func(t *testing.T) {
			// Two keys, both breaking after 2 events: whichever is picked, the
			// stream must not be retried once output began.
			brk := geminitest.Behavior{Kind: geminitest.BreakStream, BreakAfter: 2}
			gw := newGateway(t, withKeys(keyA, keyB), withBehavior(keyA, brk), withBehavior(keyB, brk),
				withSim(geminitest.Options{StreamEvents: 5}))
			r := gw.post(t, path, hello)
			require.Equal(t, 200, r.Status)
			require.Len(t, gw.Sim.Requests(), 1, "a stream that began is never retried")

			var datas []string
			if sse {
				datas = sseEvents(t, r.Body)
			} else {
				var arr []json.RawMessage
				require.NoError(t, json.Unmarshal(r.Body, &arr), "body: %s", r.Body)
				for _, a := range arr {
					datas = append(datas, string(a))
				}
			}
			require.Len(t, datas, 3, "2 events and an error: %s", r.Body)
			var text strings.Builder
			for _, d := range datas[:2] {
				text.WriteString(respText(t, []byte(d)))
			}
			var e googleError
			require.NoError(t, json.Unmarshal([]byte(datas[2]), &e), "%s", datas[2])
			assert.NotZero(t, e.Error.Code)
			assert.NotEmpty(t, e.Error.Status)
			assert.NotEmpty(t, e.Error.Message)

			// The text relayed is exactly the first two events' text, once.
			got := text.String()
			assert.NotEmpty(t, got)
			assert.Equal(t, 1, strings.Count(got, "Simulated answer"), "text duplicated: %q", got)

			// The broken stream counts as a failure for the key that served it.
			key := gw.Sim.Requests()[0].Key
			eventually(t, "failure to be recorded", func() bool {
				st, _ := gw.App.Pool.Status(key)
				return st.State.Failures == 1
			})
		})
	}
}

func TestStreamBreakBeforeFirstEventIsRetried(t *testing.T) {
	for _, path := range []string{flashStream + "?alt=sse", flashStream} {
		t.Run(path, func(t *testing.T) {
			gw := newGateway(t, withKeys(keyA, keyB),
				withBehavior(keyA, geminitest.Behavior{Kind: geminitest.BreakStream, BreakAfter: 0}),
				withSim(geminitest.Options{StreamEvents: 4}))
			require.Equal(t, []string{keyA, keyB}, gw.App.Pool.Keys())
			r := gw.post(t, path, hello)
			require.Equal(t, 200, r.Status, "%s", r.Body)
			reqs := gw.Sim.Requests()
			require.Len(t, reqs, 2)
			assert.Equal(t, keyA, reqs[0].Key)
			assert.Equal(t, keyB, reqs[1].Key)
			var n int
			if strings.Contains(path, "sse") {
				evs := sseEvents(t, r.Body)
				n = len(evs)
				for _, d := range evs {
					assert.NotContains(t, d, `"error"`)
				}
			} else {
				var arr []geminitest.GenerateResponse
				require.NoError(t, json.Unmarshal(r.Body, &arr), "%s", r.Body)
				n = len(arr)
			}
			assert.Equal(t, 4, n)
			st, _ := gw.App.Pool.Status(keyA)
			assert.Equal(t, 1, st.State.Failures)
		})
	}
}

func TestStreamUpstreamErrorBeforeStart(t *testing.T) {
	// A quota error on a stream is an ordinary HTTP error for the client,
	// in the form it asked for.
	q := geminitest.Behavior{Kind: geminitest.Quota, RetryDelay: 9 * time.Second}
	gw := newGateway(t, withKeys(keyA), withBehavior(keyA, q))
	r := gw.post(t, flashStream+"?alt=sse", hello)
	requireGoogleError(t, r, 429, "RESOURCE_EXHAUSTED")
}

func breakAfter(n int) geminitest.Behavior {
	return geminitest.Behavior{Kind: geminitest.BreakStream, BreakAfter: n, Models: []string{"gemini-2.5-flash"}}
}

// TestStreamLongEventLines relays SSE events whose data line is right at
// and around the gateway's 32 KiB read-buffer boundary (inline images in
// a stream make such long lines). Every event must reach an SSE client as
// its own event, parseable JSON.
func TestStreamLongEventLines(t *testing.T) {
	for _, lineLen := range []int{32766, 32767, 32768, 32769, 65536} {
		t.Run(strconv.Itoa(lineLen), func(t *testing.T) {
			ev := func(text string) string {
				return `{"candidates":[{"content":{"parts":[{"text":"` + text + `"}],"role":"model"},"index":0}]}`
			}
			pad := lineLen - len("data: ") - len(ev(""))
			first := "data: " + ev(strings.Repeat("a", pad))
			require.Len(t, first, lineLen)
			upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, first+"\r\n\r\n")
				io.WriteString(w, "data: "+ev("second")+"\r\n\r\n")
			}))
			t.Cleanup(upstream.Close)
			gw := newGateway(t, withKeys(keyA), withConfig(func(c *config.Config) { c.BaseURL = upstream.URL + "/v1beta" }))

			r := gw.post(t, flashStream+"?alt=sse", hello)
			require.Equal(t, 200, r.Status)
			evs := sseEvents(t, r.Body)
			assert.Equal(t, 2, len(evs), "events were merged")
			for i, d := range evs {
				assert.True(t, json.Valid([]byte(d)), "event %d is not JSON (%d bytes, ends %q)", i, len(d), d[max(0, len(d)-40):])
			}

			r = gw.post(t, flashStream, hello)
			require.Equal(t, 200, r.Status)
			var arr []json.RawMessage
			require.NoError(t, json.Unmarshal(r.Body, &arr))
			assert.Equal(t, 2, len(arr))
		})
	}
}
