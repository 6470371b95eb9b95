// Package app wires gb's public packages into the gateway that
// cmd/gbserver runs: configuration, storage, key pool, pipeline, upstream
// client and HTTP routes. It is internal because it is one program's
// choices; programs embedding gb compose the public packages themselves
// (see examples/).
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/gemini"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/internal/redact"
	"github.com/geminibalance/gb/openai"
	"github.com/geminibalance/gb/storage"
)

// App is a running gateway without its listener.
type App struct {
	Config   *config.Holder
	Store    storage.Store
	Pool     *balancer.MemoryPool
	Pipeline *balancer.Pipeline
	Client   *gemini.Client
	Logs     *storage.LogWriter
	Logger   *slog.Logger
	Native   *gemini.Handler
	OpenAI   *openai.Handler
	// Admin is the admin API and scheduler, when EnableAdmin was called.
	Admin *Admin

	settings  atomicSettings
	stop      context.CancelFunc
	persisted sync.WaitGroup
	closeOnce sync.Once
}

// New builds the gateway from cfg and an open store. API_KEYS from the
// configuration are added to the store; keys already stored keep their
// health, so a restart keeps benched keys benched.
func New(ctx context.Context, cfg *config.Config, store storage.Store, logger *slog.Logger) (*App, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if len(cfg.APIKeys) > 0 {
		if _, err := store.AddKeys(ctx, cfg.APIKeys); err != nil {
			return nil, fmt.Errorf("storing API_KEYS: %w", err)
		}
	}
	recs, err := store.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading keys: %w", err)
	}
	a := &App{Config: config.NewHolder(cfg), Store: store, Logger: logger}
	a.Pool = balancer.NewMemoryPoolFromRecords(recs, balancer.PoolOptions{MaxFailures: cfg.MaxFailures})
	a.Client, err = gemini.NewClient(clientSettings(cfg))
	if err != nil {
		return nil, err
	}
	a.Logs = storage.NewLogWriter(store, storage.LogWriterOptions{OnError: func(err error) {
		logger.Error("writing logs failed", "err", err)
	}})
	a.Pipeline = &balancer.Pipeline{
		Pool:       a.Pool,
		MaxRetries: func() int { return a.Config.Load().MaxRetries },
		Observe:    a.observe,
		OnError:    a.onError,
	}
	a.settings.store(cfg)
	models := &gemini.ModelCache{Pipeline: a.Pipeline, Client: a.Client}
	a.Native = &gemini.Handler{
		Pipeline: a.Pipeline,
		Client:   a.Client,
		Models:   models,
		Auth:     a.authenticate,
		Settings: a.settings.gemini,
		Logger:   logger,
	}
	a.OpenAI = &openai.Handler{
		Pipeline: a.Pipeline,
		Client:   a.Client,
		Models:   models,
		Auth:     a.authenticate,
		Settings: a.settings.openai,
		Logger:   logger,
	}
	pctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	a.persisted.Add(1)
	go a.persistLoop(pctx)
	return a, nil
}

func clientSettings(cfg *config.Config) gemini.ClientSettings {
	return gemini.ClientSettings{
		BaseURL:        cfg.BaseURL,
		Timeout:        cfg.TimeOut,
		Proxies:        cfg.Proxies,
		ProxyByKeyHash: cfg.ProxiesUseConsistencyHashByAPIKey,
		Headers:        cfg.CustomHeaders,
		HTTP2:          cfg.UpstreamHTTP2,
	}
}

// EnableAdmin builds the admin API and starts its scheduler (until ctx
// ends or Close); Handler then serves the admin routes too.
func (a *App) EnableAdmin(ctx context.Context, opt AdminOptions) *Admin {
	a.Admin = NewAdmin(a, opt)
	a.Admin.Start(ctx)
	return a.Admin
}

// Apply makes cfg the running configuration: the client, pool limits and
// handler settings follow at once, for the very next request.
func (a *App) Apply(cfg *config.Config) error {
	if err := a.Client.SetSettings(clientSettings(cfg)); err != nil {
		return err
	}
	a.Pool.SetMaxFailures(cfg.MaxFailures)
	a.Pool.Add(cfg.APIKeys...)
	a.settings.store(cfg)
	a.Config.Store(cfg)
	return nil
}

// authenticate accepts ALLOWED_TOKENS and AUTH_TOKEN, compared in
// constant time.
func (a *App) authenticate(r *http.Request, token string) bool {
	return a.settings.auth()(r, token)
}

func (a *App) observe(at balancer.Attempt) {
	a.Logs.Request(storage.RequestLog{
		Time: at.Start, Key: at.Key, Model: at.Model, Kind: at.Kind,
		Status: at.Verdict.Status, Success: at.Verdict.Class == balancer.Success,
		Latency:      at.Latency,
		PromptTokens: at.Usage.PromptTokens, CompletionTokens: at.Usage.CompletionTokens, TotalTokens: at.Usage.TotalTokens,
	})
	if at.Verdict.Class != balancer.Success && at.Verdict.Class != balancer.Canceled {
		a.Logger.Warn("upstream attempt failed", "key", redact.Key(at.Key), "model", at.Model, "kind", at.Kind,
			"attempt", at.N, "status", at.Verdict.Status, "class", at.Verdict.Class.String(), "reason", at.Verdict.Reason,
			"message", at.Verdict.Message)
	}
}

func (a *App) onError(at balancer.Attempt, answer, request []byte) {
	msg := string(answer)
	if msg == "" {
		msg = at.Verdict.Message
	}
	el := storage.ErrorLog{Time: at.Start, Key: at.Key, Model: at.Model, Kind: at.Kind, Status: at.Verdict.Status, Message: msg}
	if a.Config.Load().ErrorLogRecordRequestBody && request != nil {
		el.RequestBody = []byte(redact.Text(string(request)))
	}
	a.Logs.Error(el)
}

// persistLoop saves changed key states in batches, off the request path.
func (a *App) persistLoop(ctx context.Context) {
	defer a.persisted.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			a.flushStates(context.Background())
			return
		case <-t.C:
			a.flushStates(ctx)
		}
	}
}

func (a *App) flushStates(ctx context.Context) {
	states := a.Pool.DirtyStates()
	if len(states) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.Store.SaveKeyStates(ctx, states); err != nil {
		a.Logger.Error("saving key states failed", "keys", len(states), "err", err)
	}
}

// Close flushes key states and logs and closes the store.
func (a *App) Close(ctx context.Context) error {
	var err error
	a.closeOnce.Do(func() {
		if a.Admin != nil {
			a.Admin.Close()
		}
		a.stop()
		a.persisted.Wait()
		err = a.Logs.Close(ctx)
		if st := a.Logs.Stats(); st.Requests.Dropped+st.Errors.Dropped+st.Requests.Failed+st.Errors.Failed > 0 {
			a.Logger.Warn("log records were lost", "requests_dropped", st.Requests.Dropped, "errors_dropped", st.Errors.Dropped,
				"requests_failed", st.Requests.Failed, "errors_failed", st.Errors.Failed)
		}
		a.Client.CloseIdleConnections()
		err = errors.Join(err, a.Store.Close())
	})
	return err
}

// atomicSettings holds values derived from the configuration snapshot,
// rebuilt whenever it changes and read lock-free by every request.
type atomicSettings struct {
	p atomic.Pointer[derived]
}

type derived struct {
	gem *gemini.Settings
	oai *openai.Settings
	au  gemini.Authenticator
}

func (s *atomicSettings) store(cfg *config.Config) {
	var safety json.RawMessage
	if len(cfg.SafetySettings) > 0 {
		safety, _ = json.Marshal(cfg.SafetySettings)
	}
	g := &gemini.Settings{
		SafetySettings: safety,
		Models: gemini.ModelPolicy{
			Filtered: cfg.FilteredModels, Search: cfg.SearchModels,
			Image: cfg.ImageModels, Thinking: cfg.ThinkingModels,
		},
		MaxBodyBytes: cfg.MaxBodyBytes,
	}
	budgets := make(map[string]int, len(cfg.ThinkingBudgetMap))
	for m, b := range cfg.ThinkingBudgetMap {
		budgets[m] = int(b)
	}
	o := &openai.Settings{
		ShowThinking:      cfg.ShowThinkingProcess,
		ThinkingBudgetMap: budgets,
		SafetySettings:    safety,
		Models:            g.Models,
		MaxBodyBytes:      cfg.MaxBodyBytes,
	}
	tokens := append(append([]string(nil), cfg.AllowedTokens...), cfg.AuthToken)
	s.p.Store(&derived{gem: g, oai: o, au: gemini.StaticTokens(tokens...)})
}

func (s *atomicSettings) gemini() *gemini.Settings { return s.p.Load().gem }

func (s *atomicSettings) openai() *openai.Settings { return s.p.Load().oai }

func (s *atomicSettings) auth() gemini.Authenticator { return s.p.Load().au }
