package gemini

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/internal/httpx"
)

// EventReader reads Server-Sent Events from an upstream stream, one whole
// event at a time, without copying more than one event.
type EventReader struct {
	r     *bufio.Reader
	event []byte
}

// readerPool holds the EventReaders' buffers. They are small, because an
// open stream keeps one for its whole life; longer events are assembled in
// EventReader.event.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 2<<10) }}

// NewEventReader returns an EventReader over r. Call Release when done to
// recycle its buffers.
func NewEventReader(r io.Reader) *EventReader {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	return &EventReader{r: br}
}

// Release returns the reader's buffers to a pool. The EventReader must not
// be used afterwards.
func (e *EventReader) Release() {
	e.r.Reset(nil)
	readerPool.Put(e.r)
	e.r = nil
}

// Next returns the next event's raw bytes, terminator included ("data:
// {...}\r\n\r\n"). The slice is valid until the next call. At the end of
// the stream it returns io.EOF; a final event without its blank line is
// returned with a nil error first. Bytes that are not SSE (Google writes a
// raw JSON error into a broken stream) come back as one "event" holding
// everything up to the end of the stream.
func (e *EventReader) Next() ([]byte, error) {
	e.event = e.event[:0]
	partial := false // the previous read ended mid-line (buffer full)
	for {
		line, err := e.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			e.event = append(e.event, line...)
			partial = true
			continue
		}
		wasPartial := partial
		partial = false
		e.event = append(e.event, line...)
		if err != nil {
			if len(bytes.TrimSpace(e.event)) > 0 && err == io.EOF {
				return e.event, nil
			}
			return nil, err
		}
		if !wasPartial && isBlank(line) {
			if len(bytes.TrimSpace(e.event)) == 0 {
				e.event = e.event[:0]
				continue
			}
			return e.event, nil
		}
	}
}

func isBlank(line []byte) bool {
	return len(line) == 1 || (len(line) == 2 && line[0] == '\r')
}

// Data returns the payload of an event's data lines, joined by "\n" as the
// SSE rules say, and whether the event had any. It allocates only for
// multi-line events.
func Data(event []byte) ([]byte, bool) {
	var out []byte
	found := 0
	for len(event) > 0 {
		var line []byte
		if i := bytes.IndexByte(event, '\n'); i >= 0 {
			line, event = event[:i], event[i+1:]
		} else {
			line, event = event, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		rest, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue
		}
		rest = bytes.TrimPrefix(rest, []byte(" "))
		switch found {
		case 0:
			out = rest
		case 1:
			out = append(append(append([]byte(nil), out...), '\n'), rest...)
		default:
			out = append(append(out, '\n'), rest...)
		}
		found++
	}
	return out, found > 0
}

// peekedBody is a stream whose first event was already read by PeekStream.
// relayStream takes events straight from its EventReader; anyone else
// reads the raw bytes through Read.
type peekedBody struct {
	er     *EventReader
	first  []byte
	body   io.ReadCloser
	replay io.Reader
}

func (p *peekedBody) Read(b []byte) (int, error) {
	if p.replay == nil {
		p.replay = io.MultiReader(bytes.NewReader(p.first), p.er.r)
	}
	return p.replay.Read(b)
}

func (p *peekedBody) Close() error {
	err := p.body.Close()
	if p.er.r != nil {
		p.er.Release()
	}
	return err
}

// next returns the peeked first event, then the following ones.
func (p *peekedBody) next() ([]byte, error) {
	if p.first != nil {
		ev := p.first
		p.first = nil
		return ev, nil
	}
	return p.er.Next()
}

// PeekStream reads an SSE answer up to its first whole event before the
// gateway commits to it, so a stream that fails before its first event is
// retried on another key like any failed call. A 200 answer whose body is
// a raw JSON error comes back as a response with the error's status. The
// returned response replays the event it read.
func PeekStream(resp *http.Response, err error) (*http.Response, error) {
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	er := NewEventReader(resp.Body)
	ev, err := er.Next()
	if err != nil {
		er.Release()
		resp.Body.Close()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("upstream stream ended before its first event: %w", err)
	}
	if _, ok := Data(ev); !ok {
		trimmed := bytes.TrimSpace(ev)
		if code := ErrorCode(trimmed); code != 0 {
			body := append([]byte(nil), trimmed...)
			er.Release()
			resp.Body.Close()
			return &http.Response{StatusCode: code, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)), Request: resp.Request}, nil
		}
	}
	resp.Body = &peekedBody{er: er, first: append([]byte(nil), ev...), body: resp.Body}
	return resp, nil
}

// ErrorCode returns the HTTP code of a Google error body ({"error": …} or
// [{"error": …}]), or 0 when b is not one. Google writes such a body,
// without SSE framing, into a stream that fails after it began.
func ErrorCode(b []byte) int {
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return 0
	}
	var one ErrorBody
	if json.Unmarshal(b, &one) == nil && one.Error.Code != 0 {
		return one.Error.Code
	}
	var arr []ErrorBody
	if json.Unmarshal(b, &arr) == nil && len(arr) > 0 && arr[0].Error.Code != 0 {
		return arr[0].Error.Code
	}
	return 0
}

// relayStream copies an SSE answer to the client event by event, flushing
// after each. When the client asked for Google's JSON-array stream (no
// alt=sse) the events' payloads are written as array elements instead.
// If the upstream breaks after output began, the client gets a
// well-formed error element and the stream ends: nothing is retried, so
// no text is duplicated.
func relayStream(w http.ResponseWriter, r *http.Request, res *balancer.Result, sse bool) {
	if sse {
		httpx.SetStreamHeaders(w.Header(), httpx.SSE)
	} else {
		httpx.SetStreamHeaders(w.Header(), httpx.JSONArray)
	}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)

	next := Events(res.Response.Body)
	var (
		last   []byte
		n      int
		relErr error
	)
	for {
		ev, err := next()
		if err != nil {
			if err != io.EOF {
				relErr = err
			}
			break
		}
		data, ok := Data(ev)
		if !ok {
			// A raw JSON error written into the stream by the upstream.
			if code := ErrorCode(bytes.TrimSpace(ev)); code != 0 {
				v := balancer.ClassifyGemini(code, nil, bytes.TrimSpace(ev), nil)
				relErr = &balancer.UpstreamError{Status: code, Body: bytes.TrimSpace(ev), Verdict: v, Attempts: res.Attempts}
				break
			}
			continue
		}
		var werr error
		if sse {
			_, werr = w.Write(ev)
		} else {
			sep := ",\r\n"
			if n == 0 {
				sep = "["
			}
			if _, werr = io.WriteString(w, sep); werr == nil {
				_, werr = w.Write(data)
			}
		}
		if werr == nil {
			werr = rc.Flush()
		}
		if werr != nil {
			relErr = context.Canceled
			break
		}
		n++
		last = append(last[:0], data...)
	}
	if relErr != nil && r.Context().Err() != nil {
		relErr = context.Canceled
	}
	if relErr != nil && !errors.Is(relErr, context.Canceled) {
		writeStreamError(w, relErr, sse, n)
	} else if !sse {
		if n == 0 {
			io.WriteString(w, "[")
		}
		io.WriteString(w, "\r\n]")
	}
	rc.Flush()
	res.Finish(relErr, usageFrom(last))
}

// Events returns a function yielding the SSE events of an upstream answer
// body one at a time (see EventReader.Next). For a body prepared by
// PeekStream it reuses the reader that already holds the first event, so
// nothing is read or parsed twice.
func Events(body io.Reader) func() ([]byte, error) {
	if p, ok := body.(*peekedBody); ok {
		return p.next
	}
	er := NewEventReader(body)
	return er.Next
}

// writeStreamError ends a stream that broke after output began with a
// Google-style error: an SSE event "data: {"error": …}" (which the official
// SDKs raise as an API error), or a last array element.
func writeStreamError(w io.Writer, err error, sse bool, n int) {
	st := Status{Code: http.StatusInternalServerError, Status: "INTERNAL"}
	var ue *balancer.UpstreamError
	switch {
	case errors.As(err, &ue) && ue.Status != 0:
		st.Code, st.Status = ue.Status, canonical(ue.Status)
		st.Message = ue.Verdict.Message
	case errors.Is(err, balancer.ErrTimeout):
		st.Code, st.Status = http.StatusGatewayTimeout, "DEADLINE_EXCEEDED"
		st.Message = "The upstream stream went silent for longer than TIME_OUT and was ended."
	default:
		st.Code, st.Status = http.StatusBadGateway, "UNAVAILABLE"
		st.Message = "The upstream stream broke before it finished: " + strings.TrimSpace(err.Error())
	}
	b, _ := json.Marshal(ErrorBody{Error: st})
	if sse {
		io.WriteString(w, "data: ")
		w.Write(b)
		io.WriteString(w, "\r\n\r\n")
		return
	}
	if n == 0 {
		io.WriteString(w, "[")
	} else {
		io.WriteString(w, ",\r\n")
	}
	w.Write(b)
	io.WriteString(w, "\r\n]")
}
