// Package storage defines where gb keeps what must outlive a process: the
// pooled API keys and their health, request and error logs, and edited
// settings.
//
// The package holds only interfaces, record types and backend-independent
// helpers. Backends live in sub-packages, one per outside dependency:
// storage/memory (no persistence, for tests and embedding), storage/sqlite
// (the default, github.com/mattn/go-sqlite3) and storage/mysql
// (MySQL/MariaDB). A custom backend implements [Store] and proves itself
// with the shared conformance suite in storage/storagetest.
//
// Nothing on the request hot path waits on a Store: request and error logs
// go through a [LogWriter], which batches them on a background goroutine,
// and key-state changes are saved the same way by the gateway.
package storage

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned (possibly wrapped) when a record asked for by
// identity does not exist.
var ErrNotFound = errors.New("storage: not found")

// KeyRecord is one pooled API key and its persisted health.
//
// The key itself is stored in full: the store is as trusted as the .env file
// it replaces. Everything that shows a key to a person masks it.
type KeyRecord struct {
	// Key is the API key, unique in the store.
	Key string
	// AddedAt is when the key was first stored.
	AddedAt time.Time
	// State is the key's persisted health.
	State KeyState
}

// KeyState is the part of a key's health that survives a restart.
type KeyState struct {
	// Failures counts consecutive transient failures.
	Failures int
	// Benched reports whether the key is out of rotation for every model
	// until an operator or the scheduler brings it back.
	Benched bool
	// BenchReason says why the key was benched (for example
	// "API_KEY_INVALID").
	BenchReason string
	// BenchedAt is when the key was benched; zero when not benched.
	BenchedAt time.Time
	// Models holds per-model restrictions: cool-downs after a quota error
	// and model-specific denials. Entries whose Until has passed may be
	// dropped by the store.
	Models map[string]ModelState
	// LastError describes the most recent failure, if any.
	LastError *LastError
	// UpdatedAt is when the state last changed.
	UpdatedAt time.Time
}

// ModelState is a key's restriction for one model.
type ModelState struct {
	// Until is when the restriction ends. The zero time means "until reset"
	// (a model-specific denial).
	Until time.Time
	// Reason is a short machine word such as "RATE_LIMIT", "DAILY_QUOTA" or
	// "PERMISSION_DENIED".
	Reason string
}

// LastError is the most recent upstream failure seen on a key.
type LastError struct {
	// Time is when the failure happened.
	Time time.Time
	// Status is the HTTP status; 0 when no response came.
	Status int
	// Message is the upstream error text, keys redacted.
	Message string
}

// KeyStore keeps the pooled keys and their state.
type KeyStore interface {
	// ListKeys returns every stored key in insertion order.
	ListKeys(ctx context.Context) ([]KeyRecord, error)
	// AddKeys stores keys that are not stored yet, in the given order, and
	// returns how many were new. Existing keys keep their state.
	AddKeys(ctx context.Context, keys []string) (added int, err error)
	// DeleteKeys removes keys and returns how many existed.
	DeleteKeys(ctx context.Context, keys []string) (deleted int, err error)
	// SaveKeyStates upserts the state of stored keys. States for keys that
	// are not stored are ignored.
	SaveKeyStates(ctx context.Context, states map[string]KeyState) error
}

// RequestLog is one upstream attempt.
type RequestLog struct {
	// Time is when the attempt started.
	Time time.Time
	// Key is the API key used (stored in full, shown masked).
	Key string
	// Model is the upstream model name, without "models/".
	Model string
	// Kind names the operation, for example "gemini-chat-stream" or
	// "openai-chat-non-stream" (gemini-balance's error_type words).
	Kind string
	// Status is the HTTP status of the attempt; 0 when no response came
	// (connection error, timeout).
	Status int
	// Success reports a 2xx answer that completed.
	Success bool
	// Latency is how long the attempt took.
	Latency time.Duration
	// PromptTokens, CompletionTokens and TotalTokens come from the
	// upstream usage metadata when it was present.
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
}

// ErrorLog is one failed upstream attempt, kept for an operator to read.
type ErrorLog struct {
	// ID is assigned by the store.
	ID int64
	// Time is when the failure happened.
	Time time.Time
	// Key is the API key used.
	Key string
	// Model is the upstream model name.
	Model string
	// Kind names the operation (see RequestLog.Kind).
	Kind string
	// Status is the HTTP status; 0 for connection errors.
	Status int
	// Message is the upstream error text, keys redacted.
	Message string
	// RequestBody is the upstream request body when
	// ERROR_LOG_RECORD_REQUEST_BODY is on; nil otherwise.
	RequestBody []byte
}

// LogStore keeps request and error logs. Writes come in batches from a
// [LogWriter], which reuses its batch slices: a LogStore must not keep a
// slice it was given after the call returns.
type LogStore interface {
	// WriteRequestLogs appends request logs.
	WriteRequestLogs(ctx context.Context, logs []RequestLog) error
	// WriteErrorLogs appends error logs. IDs in the argument are ignored.
	WriteErrorLogs(ctx context.Context, logs []ErrorLog) error
	// ListErrorLogs returns error logs matching f, newest first, and the
	// total number that match.
	ListErrorLogs(ctx context.Context, f ErrorLogFilter) (logs []ErrorLog, total int, err error)
	// CountRequestLogs returns the number of request logs in [from, to)
	// (a zero bound is open), and how many of them succeeded.
	CountRequestLogs(ctx context.Context, from, to time.Time) (total, success int, err error)
	// DeleteLogsBefore deletes request and error logs older than the given
	// times (a zero time leaves that kind alone) and reports how many rows
	// went. Statistics buckets that end at or before requestsBefore go
	// with the request logs.
	DeleteLogsBefore(ctx context.Context, requestsBefore, errorsBefore time.Time) (requests, errs int64, err error)
	// ErrorLog returns the error log with the given ID, or an error
	// wrapping ErrNotFound.
	ErrorLog(ctx context.Context, id int64) (ErrorLog, error)
	// DeleteErrorLogs deletes the error logs with the given IDs and
	// reports how many existed.
	DeleteErrorLogs(ctx context.Context, ids []int64) (int64, error)
	// ClearErrorLogs deletes every error log and reports how many went.
	ClearErrorLogs(ctx context.Context) (int64, error)
	// NearestErrorLog returns the error log of key closest in time to at,
	// no further than window away (either side), with the given status
	// unless status is 0. Ties go to the earlier log. It returns an error
	// wrapping ErrNotFound when there is none.
	NearestErrorLog(ctx context.Context, key string, at time.Time, window time.Duration, status int) (ErrorLog, error)
}

// StatsGroup says how [StatsQuery] results are grouped.
type StatsGroup int

const (
	// GroupNone returns one row with the totals.
	GroupNone StatsGroup = iota
	// GroupKey returns one row per key.
	GroupKey
	// GroupModel returns one row per model.
	GroupModel
	// GroupKeyModel returns one row per key and model.
	GroupKeyModel
)

// StatsQuery selects request statistics. Statistics are kept in whole
// minutes: a minute counts when it starts in [From, To), both rounded
// down to the minute.
type StatsQuery struct {
	// From and To bound the minutes counted; both are required.
	From, To time.Time
	// Keys, when not empty, restricts the statistics to these keys.
	Keys []string
	// Model, when set, restricts the statistics to this model.
	Model string
	// GroupBy chooses the rows returned.
	GroupBy StatsGroup
	// Limit caps grouped rows (most calls first); 0 means no cap.
	Limit int
}

// StatsCounts are the counters of a set of request logs.
type StatsCounts struct {
	// Calls counts attempts; Successes and Failures split them.
	Calls, Successes, Failures int64
	// Status429 counts attempts answered with HTTP 429.
	Status429 int64
	// PromptTokens, CompletionTokens and TotalTokens sum the usage.
	PromptTokens, CompletionTokens, TotalTokens int64
}

// Add adds o to c.
func (c *StatsCounts) Add(o StatsCounts) {
	c.Calls += o.Calls
	c.Successes += o.Successes
	c.Failures += o.Failures
	c.Status429 += o.Status429
	c.PromptTokens += o.PromptTokens
	c.CompletionTokens += o.CompletionTokens
	c.TotalTokens += o.TotalTokens
}

// CountsOf returns the counters of one request log.
func CountsOf(l RequestLog) StatsCounts {
	c := StatsCounts{Calls: 1, PromptTokens: int64(l.PromptTokens), CompletionTokens: int64(l.CompletionTokens), TotalTokens: int64(l.TotalTokens)}
	if l.Success {
		c.Successes = 1
	} else {
		c.Failures = 1
	}
	if l.Status == 429 {
		c.Status429 = 1
	}
	return c
}

// StatsRow is one row of [StatsStore.Stats]: Key and Model are set as
// the grouping asks.
type StatsRow struct {
	Key   string
	Model string
	StatsCounts
}

// StatsPoint is one step of a time series.
type StatsPoint struct {
	// Time is the start of the step.
	Time time.Time
	StatsCounts
}

// AttentionKey is a key with many failures of one kind.
type AttentionKey struct {
	// Key is the API key (stored in full, shown masked).
	Key string
	// Count is how many attempts matched.
	Count int64
	// Calls is every attempt of the key in the same period.
	Calls int64
}

// StatsStore answers statistics over request logs from aggregates kept as
// the logs are written (per-minute buckets and coarser roll-ups), never by
// scanning raw request logs.
type StatsStore interface {
	// Stats returns counters for q. With GroupNone it returns exactly one
	// row; grouped rows come most calls first, then by key and model.
	Stats(ctx context.Context, q StatsQuery) ([]StatsRow, error)
	// StatsSeries returns counters per step (a whole number of minutes)
	// from q.From, for every step that has data, oldest first. GroupBy and
	// Limit are ignored.
	StatsSeries(ctx context.Context, q StatsQuery, step time.Duration) ([]StatsPoint, error)
	// AttentionKeys returns the keys with the most attempts in the
	// minutes of [from, to) that got the given HTTP status, or that failed
	// when status is 0, most first (then by key), at most limit (0 means
	// 20). Keys with no match are not listed.
	AttentionKeys(ctx context.Context, from, to time.Time, status, limit int) ([]AttentionKey, error)
}

// ErrorLogFilter selects error logs. Zero fields match everything.
type ErrorLogFilter struct {
	// Key, Model, Kind and Status match exactly (case-sensitively).
	Key    string
	Model  string
	Kind   string
	Status int
	// KeyContains matches keys containing it, ignoring ASCII case.
	KeyContains string
	// Text matches messages containing it, ignoring ASCII case.
	Text string
	// From and To select times in [From, To); a zero bound is open.
	From time.Time
	To   time.Time
	// Limit caps the number returned; 0 (or less) means 100.
	Limit int
	// Offset skips that many of the matching logs, in the sort order.
	Offset int
	// SortBy is "time" (the default: time, then ID) or "id".
	SortBy string
	// Ascending sorts oldest first; the default is newest first.
	Ascending bool
}

// SettingsStore keeps settings edited at run time, as the raw string values
// of their environment-variable names (for example "MAX_RETRIES" → "3").
type SettingsStore interface {
	// Settings returns every stored setting.
	Settings(ctx context.Context) (map[string]string, error)
	// PutSettings upserts the given settings.
	PutSettings(ctx context.Context, values map[string]string) error
	// DeleteSettings removes the named settings.
	DeleteSettings(ctx context.Context, names []string) error
}

// Store is a complete backend. The backends in this module keep times to
// the millisecond and return them in UTC.
type Store interface {
	KeyStore
	LogStore
	StatsStore
	SettingsStore
	// Close releases the backend's resources.
	Close() error
}
