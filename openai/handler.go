package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/gemini"
	"github.com/geminibalance/gb/internal/httpx"
)

// DefaultMaxBodyBytes is the request-size limit used when
// Settings.MaxBodyBytes is zero: generous, since messages carry base64
// images, audio and PDFs.
const DefaultMaxBodyBytes = 64 << 20

// maxAnswerBytes caps a unary upstream answer read into memory.
const maxAnswerBytes = 256 << 20

// Settings are the handler's live options, read on every request through
// Handler.Settings.
type Settings struct {
	// ShowThinking (SHOW_THINKING_PROCESS): see Options.ShowThinking.
	ShowThinking bool
	// ThinkingBudgetMap (THINKING_BUDGET_MAP): see Options.ThinkingBudgetMap.
	ThinkingBudgetMap map[string]int
	// SafetySettings (SAFETY_SETTINGS), a JSON array sent with every chat
	// request. Nil sends none.
	SafetySettings json.RawMessage
	// Models decides which model names are listed and allowed.
	Models gemini.ModelPolicy
	// MaxBodyBytes caps a request body. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// FetchImage downloads http(s) image URLs in messages. Nil means a
	// fetcher from NewImageFetcher(FetchOptions{}) (15 s, 20 MiB, no
	// private addresses), shared by all requests.
	FetchImage ImageFetcher
}

// Handler serves the OpenAI API through the key pool:
//
//	POST {prefix}/chat/completions
//	POST {prefix}/embeddings
//	GET  {prefix}/models
//	GET  {prefix}/models/{id}
//
// for any prefix (mount it at /v1/, /hf/v1/, /openai/v1/ …). Clients
// authenticate with "Authorization: Bearer <token>" (x-goog-api-key and
// ?key= work too). Errors are OpenAI error objects. Upstream calls go
// through Pipeline, so retries on other keys, benching, cool-downs and
// logging are those of the native routes; upstream streams always use
// ?alt=sse and a stream failing before its first event is retried.
//
// Handler is configured through its fields, like gemini.Handler.
type Handler struct {
	// Pipeline runs each request against the key pool. Required.
	Pipeline *balancer.Pipeline
	// Client calls the upstream. Required.
	Client *gemini.Client
	// Models lists upstream models. Nil means a cache with default TTL
	// built from Pipeline and Client on first use.
	Models *gemini.ModelCache
	// Auth checks every request; nil lets every request through.
	Auth gemini.Authenticator
	// Settings returns the live settings. Nil means zero Settings.
	Settings func() *Settings
	// Logger receives problems worth an operator's attention. Nil means
	// slog.Default().
	Logger *slog.Logger

	once    sync.Once
	fetch   ImageFetcher
	created int64
}

func (h *Handler) init() {
	h.once.Do(func() {
		if h.Models == nil {
			h.Models = &gemini.ModelCache{Pipeline: h.Pipeline, Client: h.Client}
		}
		h.fetch = NewImageFetcher(FetchOptions{})
		h.created = time.Now().Unix()
	})
}

func (h *Handler) settings() *Settings {
	if h.Settings != nil {
		if s := h.Settings(); s != nil {
			return s
		}
	}
	return &Settings{}
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) options(s *Settings) *Options {
	o := &Options{ShowThinking: s.ShowThinking, ThinkingBudgetMap: s.ThinkingBudgetMap, SafetySettings: s.SafetySettings, FetchImage: s.FetchImage, Models: &s.Models}
	if o.FetchImage == nil {
		o.FetchImage = h.fetch
	}
	return o
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.init()
	p := strings.TrimRight(r.URL.Path, "/")
	var route, id string
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		route = "chat"
	case strings.HasSuffix(p, "/embeddings"):
		route = "embeddings"
	case strings.HasSuffix(p, "/models"):
		route = "models"
	default:
		if i := strings.LastIndex(p, "/models/"); i >= 0 && p[i+8:] != "" {
			route, id = "model", p[i+8:]
		}
	}
	if route == "" {
		WriteError(w, NewError(http.StatusNotFound, TypeInvalidRequest, "Invalid URL ("+r.Method+" "+r.URL.Path+")", "", "unknown_url"))
		return
	}
	if !h.authenticate(w, r) {
		return
	}
	wantGet := route == "models" || route == "model"
	if (wantGet && r.Method != http.MethodGet && r.Method != http.MethodHead) || (!wantGet && r.Method != http.MethodPost) {
		want := "POST"
		if wantGet {
			want = "GET"
		}
		w.Header().Set("Allow", want)
		WriteError(w, NewError(http.StatusMethodNotAllowed, TypeInvalidRequest, "Method "+r.Method+" not allowed on "+r.URL.Path+"; use "+want+".", "", "method_not_allowed"))
		return
	}
	switch route {
	case "chat":
		h.serveChat(w, r)
	case "embeddings":
		h.serveEmbeddings(w, r)
	default:
		h.serveModels(w, r, id)
	}
}

func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) bool {
	if h.Auth == nil {
		return true
	}
	tok, _ := gemini.ClientToken(r)
	if h.Auth(r, tok) {
		return true
	}
	msg := "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
	if tok != "" {
		msg = "Incorrect API key provided. The token is not one this gateway accepts."
	}
	WriteError(w, NewError(http.StatusUnauthorized, TypeInvalidRequest, msg, "", "invalid_api_key"))
	return false
}

// ModelObject is one entry of the OpenAI model list.
type ModelObject struct {
	// ID is the model name, derived suffix included.
	ID string `json:"id"`
	// Object is "model".
	Object string `json:"object"`
	// Created is a Unix time (Gemini gives none: the handler's start).
	Created int64 `json:"created"`
	// OwnedBy is "google".
	OwnedBy string `json:"owned_by"`
}

// ModelList is the OpenAI model list.
type ModelList struct {
	// Object is "list".
	Object string `json:"object"`
	// Data holds the models.
	Data []ModelObject `json:"data"`
}

// ModelsFrom builds the OpenAI model list from an upstream list and a
// policy: filtered models removed, derived "-search", "-image" and
// "-non-thinking" ids added after their base.
func ModelsFrom(models []gemini.Model, p *gemini.ModelPolicy, created int64) *ModelList {
	vars := p.Variants(models)
	out := &ModelList{Object: "list", Data: make([]ModelObject, len(vars))}
	for i, v := range vars {
		out.Data[i] = ModelObject{ID: v.ID, Object: "model", Created: created, OwnedBy: "google"}
	}
	return out
}

func (h *Handler) serveModels(w http.ResponseWriter, r *http.Request, id string) {
	models, err := h.Models.Models(r.Context())
	if err != nil {
		WriteError(w, err)
		return
	}
	s := h.settings()
	list := ModelsFrom(models, &s.Models, h.created)
	if id != "" {
		id = strings.TrimPrefix(id, "models/")
		if u, err := url.PathUnescape(id); err == nil {
			id = u
		}
		for _, m := range list.Data {
			if m.ID == id {
				writeJSON(w, http.StatusOK, m)
				return
			}
		}
		WriteError(w, NewError(http.StatusNotFound, TypeInvalidRequest, "The model '"+id+"' does not exist", "model", "model_not_found"))
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteError(w, NewError(http.StatusInternalServerError, TypeServer, "encoding the answer: "+err.Error(), "", ""))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

// readBody reads a JSON request body, writing an error and returning nil
// when it is unacceptable.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) []byte {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if ct := r.Header.Get("Content-Type"); !httpx.JSONContentType(ct) {
		WriteError(w, NewError(http.StatusUnsupportedMediaType, TypeInvalidRequest, "Content-Type must be application/json, not \""+ct+"\".", "", "unsupported_media_type"))
		return nil
	}
	body, err := httpx.ReadAll(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit, 0)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			WriteError(w, NewError(http.StatusRequestEntityTooLarge, TypeInvalidRequest, "The request body is larger than the gateway's limit.", "", "request_too_large"))
			return nil
		}
		WriteError(w, badRequest("", "Could not read the request body: %v", err))
		return nil
	}
	return body
}

func (h *Handler) checkModel(w http.ResponseWriter, s *Settings, name string) (gemini.ModelName, bool) {
	m := s.Models.Parse(name)
	if err := s.Models.Allowed(m); err != nil {
		WriteError(w, NewError(http.StatusNotFound, TypeInvalidRequest, "The model '"+name+"' does not exist or you do not have access to it: "+err.Error(), "model", "model_not_found"))
		return m, false
	}
	return m, true
}

func (h *Handler) serveChat(w http.ResponseWriter, r *http.Request) {
	s := h.settings()
	body := readBody(w, r, s.MaxBodyBytes)
	if body == nil {
		return
	}
	req, err := ParseChatRequest(body)
	if err != nil {
		WriteError(w, err)
		return
	}
	if _, ok := h.checkModel(w, s, req.Model); !ok {
		return
	}
	opts := h.options(s)
	m, gbody, err := ToGemini(r.Context(), req, opts)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			WriteError(w, err)
		}
		return
	}
	method, kind := "generateContent", "openai-chat-non-stream"
	var q url.Values
	if req.Stream {
		method, kind = "streamGenerateContent", "openai-chat-stream"
		q = httpx.SSEQuery
	}
	path := "models/" + m.Upstream + ":" + method
	res, err := h.Pipeline.Do(r.Context(), balancer.Call{
		Model: m.Upstream,
		Kind:  kind,
		Body:  gbody,
		Attempt: func(ctx context.Context, key string) (*http.Response, error) {
			resp, err := h.Client.Do(ctx, key, &gemini.Request{Path: path, Query: q, Body: gbody, Stream: req.Stream})
			if req.Stream {
				return gemini.PeekStream(resp, err)
			}
			return resp, err
		},
	})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			WriteError(w, err)
		}
		return
	}
	if req.Stream {
		h.relayStream(w, r, res, req, opts)
		return
	}
	answer, ok := readAnswer(w, r, res)
	if !ok {
		return
	}
	out, err := FromGemini(answer, req.Model, opts)
	if err != nil {
		h.logger().Warn("openai: undecodable upstream answer", "model", m.Upstream, "error", err)
		res.Finish(err, balancer.Usage{})
		WriteError(w, NewError(http.StatusBadGateway, TypeServer, "The upstream answer could not be decoded: "+err.Error(), "", "bad_upstream_answer"))
		return
	}
	res.Finish(nil, poolUsage(out.Usage))
	writeJSON(w, http.StatusOK, out)
}

func poolUsage(u *Usage) balancer.Usage {
	if u == nil {
		return balancer.Usage{}
	}
	return balancer.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
}

// relayStream translates the upstream SSE answer event by event, flushing
// after each upstream event.
func (h *Handler) relayStream(w http.ResponseWriter, r *http.Request, res *balancer.Result, req *ChatCompletionRequest, opts *Options) {
	httpx.SetStreamHeaders(w.Header(), httpx.SSE)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	// The headers go out with the first chunk (PeekStream already holds
	// the first upstream event), one write instead of two; if the first
	// event yields no chunk they are flushed on their own below.
	first := true

	t := NewStreamTranslator("chatcmpl-"+randomAlnum(29), req.Model, time.Now().Unix(), opts)
	t.IncludeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	next := gemini.Events(res.Response.Body)
	var relErr error
	write := func(chunks [][]byte) error {
		for _, c := range chunks {
			if _, err := io.WriteString(w, "data: "); err != nil {
				return err
			}
			if _, err := w.Write(c); err != nil {
				return err
			}
			if _, err := io.WriteString(w, "\n\n"); err != nil {
				return err
			}
		}
		if len(chunks) > 0 {
			return rc.Flush()
		}
		return nil
	}
	for {
		ev, err := next()
		if err != nil {
			if err != io.EOF {
				relErr = err
			}
			break
		}
		data, ok := gemini.Data(ev)
		if !ok {
			trimmed := bytes.TrimSpace(ev)
			if g, ok := parseGoogleError(trimmed); ok {
				code := g.Error.Code
				if code == 0 {
					code = http.StatusInternalServerError
				}
				v := balancer.ClassifyGemini(code, nil, trimmed, nil)
				relErr = &balancer.UpstreamError{Status: code, Body: append([]byte(nil), trimmed...), Verdict: v, Attempts: res.Attempts}
				break
			}
			continue
		}
		if bytes.Equal(bytes.TrimSpace(data), []byte("[DONE]")) {
			continue
		}
		chunks, err := t.Event(data)
		if err != nil {
			var ue *UpstreamEventError
			if errors.As(err, &ue) {
				v := balancer.ClassifyGemini(ue.Status, nil, ue.Body, nil)
				relErr = &balancer.UpstreamError{Status: ue.Status, Body: ue.Body, Verdict: v, Attempts: res.Attempts}
			} else {
				relErr = err
			}
			break
		}
		if err := write(chunks); err != nil {
			relErr = context.Canceled
			break
		}
		if first && len(chunks) == 0 {
			if err := rc.Flush(); err != nil {
				relErr = context.Canceled
				break
			}
		}
		first = false
	}
	if relErr != nil && r.Context().Err() != nil {
		relErr = context.Canceled
	}
	switch {
	case relErr == nil:
		if err := write(t.Finish()); err == nil {
			io.WriteString(w, "data: [DONE]\n\n")
		} else {
			relErr = context.Canceled
		}
	case !errors.Is(relErr, context.Canceled):
		e := streamError(relErr)
		b, _ := json.Marshal(e)
		io.WriteString(w, "data: ")
		w.Write(b)
		io.WriteString(w, "\n\n")
	}
	rc.Flush()
	res.Finish(relErr, poolUsage(t.Usage()))
}

// readAnswer reads an upstream unary answer whole. On failure it finishes
// res, answers the client (unless it went away) and returns false.
func readAnswer(w http.ResponseWriter, r *http.Request, res *balancer.Result) ([]byte, bool) {
	answer, err := httpx.ReadAll(io.LimitReader(res.Response.Body, maxAnswerBytes), res.Response.ContentLength, maxAnswerBytes, 0)
	if err == nil {
		return answer, true
	}
	if r.Context().Err() != nil {
		err = context.Canceled
	}
	res.Finish(err, balancer.Usage{})
	if !errors.Is(err, context.Canceled) {
		WriteError(w, err)
	}
	return nil, false
}

// streamError describes a failure after the stream began.
func streamError(err error) *Error {
	var ue *balancer.UpstreamError
	switch {
	case errors.As(err, &ue) && ue.Status != 0:
		e := fromUpstream(ue)
		return e
	case errors.Is(err, balancer.ErrTimeout):
		return NewError(http.StatusGatewayTimeout, TypeServer, "The upstream stream went silent for longer than the timeout and was ended.", "", "timeout")
	}
	return NewError(http.StatusBadGateway, TypeServer, "The upstream stream broke before it finished: "+strings.TrimSpace(err.Error()), "", "stream_broken")
}

func (h *Handler) serveEmbeddings(w http.ResponseWriter, r *http.Request) {
	s := h.settings()
	body := readBody(w, r, s.MaxBodyBytes)
	if body == nil {
		return
	}
	req, err := ParseEmbeddingRequest(body)
	if err != nil {
		WriteError(w, err)
		return
	}
	m, ok := h.checkModel(w, s, req.Model)
	if !ok {
		return
	}
	method, gbody, err := EmbeddingToGemini(req, m.Upstream)
	if err != nil {
		WriteError(w, badRequest("input", "The request could not be encoded: %v", err))
		return
	}
	path := "models/" + m.Upstream + ":" + method
	res, err := h.Pipeline.Do(r.Context(), balancer.Call{
		Model: m.Upstream,
		Kind:  "openai-embedding",
		Body:  gbody,
		Attempt: func(ctx context.Context, key string) (*http.Response, error) {
			return h.Client.Do(ctx, key, &gemini.Request{Path: path, Body: gbody})
		},
	})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			WriteError(w, err)
		}
		return
	}
	answer, ok := readAnswer(w, r, res)
	if !ok {
		return
	}
	out, err := EmbeddingFromGemini(answer, req)
	if err != nil {
		res.Finish(err, balancer.Usage{})
		WriteError(w, NewError(http.StatusBadGateway, TypeServer, err.Error(), "", "bad_upstream_answer"))
		return
	}
	res.Finish(nil, balancer.Usage{PromptTokens: out.Usage.PromptTokens, TotalTokens: out.Usage.TotalTokens})
	writeJSON(w, http.StatusOK, out)
}
