// Package config holds gbserver's configuration: one immutable snapshot of
// every setting, loaded from the environment and a gemini-balance style
// `.env` file, so an existing gemini-balance `.env` works unchanged.
//
// Precedence is explicit and fixed: a non-empty environment variable wins
// over the same name in the `.env` contents, which wins over the built-in
// default (the behaviour of python-dotenv's load_dotenv without override).
// Unlike gemini-balance, nothing read from a database ever overrides these
// sources behind the user's back.
//
// Every setting is described once, in a single table (see settings.go);
// Load, Env, Redacted and Secret all read that table, so they cannot drift
// apart.
//
// Differences from gemini-balance, on purpose:
//   - DATABASE_TYPE defaults to "sqlite" (gemini-balance defaults to
//     "mysql"), so gbserver starts with no external database.
//   - Lists accept a JSON array or a comma-separated list everywhere
//     (gemini-balance rejects comma lists in the environment).
//   - Values are validated at startup; a bad value stops the load with a
//     one-line error naming the variable instead of being used as is.
//   - An empty AUTH_TOKEN stays empty: gemini-balance's fallback to the
//     first ALLOWED_TOKENS entry is not applied, so admin log-in is refused
//     until AUTH_TOKEN is set (gbserver says so at start-up).
package config

import (
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// Embedded zoneinfo, so TIMEZONE resolves on hosts without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// SafetySetting is one entry of SAFETY_SETTINGS: a Gemini harm category and
// the block threshold applied to it.
type SafetySetting struct {
	// Category is a Gemini harm category, e.g. "HARM_CATEGORY_HARASSMENT".
	Category string `json:"category"`
	// Threshold is a Gemini block threshold, e.g. "OFF" or "BLOCK_NONE".
	Threshold string `json:"threshold"`
}

// Config is one immutable snapshot of every setting. Treat a *Config as
// read-only once it is shared: to change a setting, Clone it, edit the copy
// and publish the copy through a Holder.
//
// The environment variable for each field is given in its comment.
type Config struct {
	// DatabaseType is DATABASE_TYPE: "sqlite" (gb's default; gemini-balance
	// defaults to "mysql") or "mysql".
	DatabaseType string
	// SQLiteDatabase is SQLITE_DATABASE, the database name (file data/<name>).
	SQLiteDatabase string
	// MySQLHost is MYSQL_HOST.
	MySQLHost string
	// MySQLPort is MYSQL_PORT (default 3306).
	MySQLPort int
	// MySQLUser is MYSQL_USER.
	MySQLUser string
	// MySQLPassword is MYSQL_PASSWORD (secret).
	MySQLPassword string
	// MySQLDatabase is MYSQL_DATABASE.
	MySQLDatabase string
	// MySQLSocket is MYSQL_SOCKET; when set it is used instead of the host.
	MySQLSocket string

	// APIKeys is API_KEYS (secret): the Gemini keys, in rotation order.
	APIKeys []string
	// AllowedTokens is ALLOWED_TOKENS (secret): the client tokens.
	AllowedTokens []string
	// AuthToken is AUTH_TOKEN (secret): the admin token, also valid as a
	// client token. Empty means admin log-in is refused (see AdminToken).
	AuthToken string
	// BaseURL is BASE_URL, the upstream Gemini API root, without a trailing
	// slash.
	BaseURL string
	// MaxFailures is MAX_FAILURES: failures at which a key is set aside (≥ 1).
	MaxFailures int
	// MaxRetries is MAX_RETRIES: attempts per request (≥ 0).
	MaxRetries int
	// TestModel is TEST_MODEL, the model used to check keys.
	TestModel string
	// TimeOut is TIME_OUT (whole seconds in the environment): the upstream
	// request timeout.
	TimeOut time.Duration
	// Proxies is PROXIES: http, https, socks5 or socks5h proxy URLs.
	Proxies []string
	// ProxiesUseConsistencyHashByAPIKey is PROXIES_USE_CONSISTENCY_HASH_BY_API_KEY:
	// pick the proxy from a hash of the key rather than at random.
	ProxiesUseConsistencyHashByAPIKey bool
	// UpstreamHTTP2 is UPSTREAM_HTTP2 (gb): direct upstream calls go
	// through net/http's transport, HTTP/2 with Google, instead of gb's
	// HTTP/1.1 transport (see gemini.ClientSettings.HTTP2).
	UpstreamHTTP2 bool
	// VertexAPIKeys is VERTEX_API_KEYS (secret): Vertex AI express keys.
	VertexAPIKeys []string
	// VertexExpressBaseURL is VERTEX_EXPRESS_BASE_URL.
	VertexExpressBaseURL string
	// URLNormalizationEnabled is URL_NORMALIZATION_ENABLED.
	URLNormalizationEnabled bool
	// CustomHeaders is CUSTOM_HEADERS (a JSON object): headers added to
	// upstream calls.
	CustomHeaders map[string]string

	// SearchModels is SEARCH_MODELS: models that get a "-search" variant.
	SearchModels []string
	// ImageModels is IMAGE_MODELS: models that get an "-image" variant.
	ImageModels []string
	// FilteredModels is FILTERED_MODELS: models hidden from lists and refused.
	FilteredModels []string
	// ToolsCodeExecutionEnabled is TOOLS_CODE_EXECUTION_ENABLED.
	ToolsCodeExecutionEnabled bool
	// URLContextEnabled is URL_CONTEXT_ENABLED.
	URLContextEnabled bool
	// URLContextModels is URL_CONTEXT_MODELS.
	URLContextModels []string
	// ShowSearchLink is SHOW_SEARCH_LINK: append grounding citations.
	ShowSearchLink bool
	// ShowThinkingProcess is SHOW_THINKING_PROCESS: include thoughts.
	ShowThinkingProcess bool
	// ThinkingModels is THINKING_MODELS: models that get a "-non-thinking" variant.
	ThinkingModels []string
	// ThinkingBudgetMap is THINKING_BUDGET_MAP: model → thinking budget
	// (-1 = dynamic).
	ThinkingBudgetMap map[string]float64
	// SafetySettings is SAFETY_SETTINGS (a JSON array of {category, threshold}).
	SafetySettings []SafetySetting

	// TTSModel is TTS_MODEL.
	TTSModel string
	// TTSVoiceName is TTS_VOICE_NAME.
	TTSVoiceName string
	// TTSSpeed is TTS_SPEED.
	TTSSpeed string
	// PaidKey is PAID_KEY (secret), the key used for Imagen.
	PaidKey string
	// CreateImageModel is CREATE_IMAGE_MODEL.
	CreateImageModel string
	// UploadProvider is UPLOAD_PROVIDER: smms, picgo, cloudflare_imgbed or aliyun_oss.
	UploadProvider string
	// SMMSSecretToken is SMMS_SECRET_TOKEN (secret).
	SMMSSecretToken string
	// PicGoAPIKey is PICGO_API_KEY (secret).
	PicGoAPIKey string
	// PicGoAPIURL is PICGO_API_URL.
	PicGoAPIURL string
	// CloudflareImgbedURL is CLOUDFLARE_IMGBED_URL.
	CloudflareImgbedURL string
	// CloudflareImgbedAuthCode is CLOUDFLARE_IMGBED_AUTH_CODE (secret).
	CloudflareImgbedAuthCode string
	// CloudflareImgbedUploadFolder is CLOUDFLARE_IMGBED_UPLOAD_FOLDER.
	CloudflareImgbedUploadFolder string
	// OSSEndpoint is OSS_ENDPOINT.
	OSSEndpoint string
	// OSSEndpointInner is OSS_ENDPOINT_INNER (unused by gemini-balance too).
	OSSEndpointInner string
	// OSSAccessKey is OSS_ACCESS_KEY (secret).
	OSSAccessKey string
	// OSSAccessKeySecret is OSS_ACCESS_KEY_SECRET (secret).
	OSSAccessKeySecret string
	// OSSBucketName is OSS_BUCKET_NAME.
	OSSBucketName string
	// OSSRegion is OSS_REGION.
	OSSRegion string

	// StreamOptimizerEnabled is STREAM_OPTIMIZER_ENABLED.
	StreamOptimizerEnabled bool
	// StreamMinDelay is STREAM_MIN_DELAY, in seconds.
	StreamMinDelay float64
	// StreamMaxDelay is STREAM_MAX_DELAY, in seconds.
	StreamMaxDelay float64
	// StreamShortTextThreshold is STREAM_SHORT_TEXT_THRESHOLD, in characters.
	StreamShortTextThreshold int
	// StreamLongTextThreshold is STREAM_LONG_TEXT_THRESHOLD, in characters.
	StreamLongTextThreshold int
	// StreamChunkSize is STREAM_CHUNK_SIZE, in characters.
	StreamChunkSize int
	// FakeStreamEnabled is FAKE_STREAM_ENABLED.
	FakeStreamEnabled bool
	// FakeStreamEmptyDataIntervalSeconds is FAKE_STREAM_EMPTY_DATA_INTERVAL_SECONDS.
	FakeStreamEmptyDataIntervalSeconds int

	// CheckIntervalHours is CHECK_INTERVAL_HOURS: key re-check period (0 = off).
	CheckIntervalHours int
	// Timezone is TIMEZONE, an IANA zone name.
	Timezone string
	// Location is Timezone loaded; never nil in a loaded Config.
	Location *time.Location
	// GitHubRepoOwner is GITHUB_REPO_OWNER (update check).
	GitHubRepoOwner string
	// GitHubRepoName is GITHUB_REPO_NAME (update check).
	GitHubRepoName string
	// LogLevel is LOG_LEVEL, upper-case: DEBUG, INFO, WARNING, ERROR or CRITICAL.
	LogLevel string
	// ErrorLogRecordRequestBody is ERROR_LOG_RECORD_REQUEST_BODY.
	ErrorLogRecordRequestBody bool
	// AutoDeleteErrorLogsEnabled is AUTO_DELETE_ERROR_LOGS_ENABLED.
	AutoDeleteErrorLogsEnabled bool
	// AutoDeleteErrorLogsDays is AUTO_DELETE_ERROR_LOGS_DAYS.
	AutoDeleteErrorLogsDays int
	// AutoDeleteRequestLogsEnabled is AUTO_DELETE_REQUEST_LOGS_ENABLED.
	AutoDeleteRequestLogsEnabled bool
	// AutoDeleteRequestLogsDays is AUTO_DELETE_REQUEST_LOGS_DAYS.
	AutoDeleteRequestLogsDays int

	// AdminSessionExpire is ADMIN_SESSION_EXPIRE (whole seconds, 300–86400).
	AdminSessionExpire time.Duration
	// FilesCleanupEnabled is FILES_CLEANUP_ENABLED.
	FilesCleanupEnabled bool
	// FilesCleanupIntervalHours is FILES_CLEANUP_INTERVAL_HOURS.
	FilesCleanupIntervalHours int
	// FilesUserIsolationEnabled is FILES_USER_ISOLATION_ENABLED.
	FilesUserIsolationEnabled bool

	// Host is HOST, the listen address (gb only; default "0.0.0.0").
	Host string
	// Port is PORT, the listen port (gb only; default 8000).
	Port int
	// MaxBodyBytes is MAX_REQUEST_BODY_MB converted to bytes (gb only;
	// default 64 MB, generous for inline media).
	MaxBodyBytes int64
	// ShutdownTimeout is SHUTDOWN_TIMEOUT (whole seconds; gb only; default 30).
	ShutdownTimeout time.Duration
}

// Notice is something worth telling the operator about a load that still
// succeeded, e.g. settings gb accepts but does not act on yet.
type Notice struct {
	// Text is one human-readable line; it never contains a secret value.
	Text string
}

// String returns the notice text.
func (n Notice) String() string { return n.Text }

var defaultConfig = sync.OnceValue(func() *Config {
	c := &Config{}
	for i := range settings {
		s := &settings[i]
		if err := s.v.set(c, s.def); err != nil {
			panic("config: bad default for " + s.name + ": " + err.Error())
		}
	}
	return c
})

// Default returns a new Config holding every default: gemini-balance's,
// except DATABASE_TYPE which is "sqlite".
func Default() *Config { return defaultConfig().Clone() }

// Clone returns a deep copy of c: its slices and maps are not shared.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	d := *c
	d.APIKeys = slices.Clone(c.APIKeys)
	d.AllowedTokens = slices.Clone(c.AllowedTokens)
	d.Proxies = slices.Clone(c.Proxies)
	d.VertexAPIKeys = slices.Clone(c.VertexAPIKeys)
	d.CustomHeaders = maps.Clone(c.CustomHeaders)
	d.SearchModels = slices.Clone(c.SearchModels)
	d.ImageModels = slices.Clone(c.ImageModels)
	d.FilteredModels = slices.Clone(c.FilteredModels)
	d.URLContextModels = slices.Clone(c.URLContextModels)
	d.ThinkingModels = slices.Clone(c.ThinkingModels)
	d.ThinkingBudgetMap = maps.Clone(c.ThinkingBudgetMap)
	d.SafetySettings = slices.Clone(c.SafetySettings)
	return &d
}

// Env returns every setting as the environment string Load accepts back:
// lists and SAFETY_SETTINGS as JSON arrays, maps as JSON objects, booleans
// as "true"/"false", durations in whole seconds, MAX_REQUEST_BODY_MB in
// megabytes. Secrets are included in clear; see Redacted.
func (c *Config) Env() map[string]string {
	out := make(map[string]string, len(settings))
	for i := range settings {
		out[settings[i].name] = settings[i].v.get(c)
	}
	return out
}

// Redacted is Env with every secret masked by redact.Key (list entries one
// by one), proxy passwords hidden and credential-like CUSTOM_HEADERS values
// masked. It is safe to show in logs and admin pages.
func (c *Config) Redacted() map[string]string {
	out := make(map[string]string, len(settings))
	for i := range settings {
		s := &settings[i]
		if s.secret || s.alwaysMask {
			out[s.name] = s.v.mask(c)
		} else {
			out[s.name] = s.v.get(c)
		}
	}
	return out
}

// AdminToken is the token that opens the admin pages: AUTH_TOKEN. Unlike
// gemini-balance, an empty AUTH_TOKEN does not fall back to the first
// ALLOWED_TOKENS entry (a client token must not open the admin pages):
// admin log-in is refused until AUTH_TOKEN is set.
func (c *Config) AdminToken() string { return c.AuthToken }

// SlogLevel maps LogLevel to a slog level; CRITICAL is slog.LevelError+4.
func (c *Config) SlogLevel() slog.Level {
	switch strings.ToUpper(c.LogLevel) {
	case "DEBUG":
		return slog.LevelDebug
	case "WARNING", "WARN":
		return slog.LevelWarn
	case "ERROR":
		return slog.LevelError
	case "CRITICAL":
		return slog.LevelError + 4
	default:
		return slog.LevelInfo
	}
}

// Names returns every setting name Load reads, in table order.
func Names() []string {
	out := make([]string, len(settings))
	for i := range settings {
		out[i] = settings[i].name
	}
	return out
}

// Secret reports whether the setting called name holds a secret that must
// never be logged or echoed. Names outside the table count as secret when
// they look like one (they contain SECRET, TOKEN, PASSWORD, API_KEY,
// ACCESS_KEY or AUTH_CODE).
func Secret(name string) bool {
	name = strings.ToUpper(strings.TrimSpace(name))
	if s := lookup(name); s != nil {
		return s.secret
	}
	for _, w := range []string{"SECRET", "TOKEN", "PASSWORD", "API_KEY", "ACCESS_KEY", "AUTH_CODE"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// Holder publishes the current Config snapshot to concurrent readers.
// The zero Holder holds nil.
type Holder struct {
	p atomic.Pointer[Config]
}

// NewHolder returns a Holder publishing c.
func NewHolder(c *Config) *Holder {
	h := &Holder{}
	h.p.Store(c)
	return h
}

// Load returns the current snapshot. Callers must not modify it.
func (h *Holder) Load() *Config { return h.p.Load() }

// Store publishes c as the current snapshot. c must not be modified
// afterwards.
func (h *Holder) Store(c *Config) { h.p.Store(c) }
