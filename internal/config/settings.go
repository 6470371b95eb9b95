package config

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/geminibalance/gb/internal/redact"
)

// value reads and writes one Config field in its environment form.
type value interface {
	// set parses raw and stores it in c; it returns a *problem on bad input.
	set(c *Config, raw string) error
	// get formats the field back to its environment form.
	get(c *Config) string
	// mask is get with the secret parts masked.
	mask(c *Config) string
	// emptyOK reports whether an empty raw value means "empty" (lists,
	// maps) rather than "use the default" (scalars).
	emptyOK() bool
}

// field is a value backed by one Config field of type T.
type field[T any] struct {
	ptr    func(*Config) *T
	parse  func(string) (T, error)
	format func(T) string
	masker func(T) string
	empty  bool
}

func (f field[T]) set(c *Config, raw string) error {
	v, err := f.parse(raw)
	if err != nil {
		return err
	}
	*f.ptr(c) = v
	return nil
}

func (f field[T]) get(c *Config) string { return f.format(*f.ptr(c)) }

func (f field[T]) mask(c *Config) string {
	if f.masker == nil {
		return f.get(c)
	}
	return f.masker(*f.ptr(c))
}

func (f field[T]) emptyOK() bool { return f.empty }

// setting describes one environment variable.
type setting struct {
	name string
	// def is the default in environment form; Default parses it.
	def string
	// secret values are masked in Redacted and never shown in errors.
	secret bool
	// alwaysMask values are not secrets but may embed credentials
	// (proxy passwords, auth headers); Redacted masks those parts.
	alwaysMask bool
	// used is false for names gb accepts but does not act on yet; setting
	// one yields a Notice.
	used bool
	v    value
}

func str(p func(*Config) *string) value {
	return field[string]{
		ptr:    p,
		parse:  func(s string) (string, error) { return s, nil },
		format: func(s string) string { return s },
		masker: redact.Key,
	}
}

func strWith(p func(*Config) *string, parse func(string) (string, error)) value {
	return field[string]{ptr: p, parse: parse, format: func(s string) string { return s }, masker: redact.Key}
}

func intRange(p func(*Config) *int, lo, hi int) value {
	return field[int]{
		ptr:    p,
		parse:  func(s string) (int, error) { return parseInt(s, lo, hi) },
		format: strconv.Itoa,
	}
}

func boolean(p func(*Config) *bool) value {
	return field[bool]{ptr: p, parse: parseBool, format: strconv.FormatBool}
}

func float(p func(*Config) *float64, lo float64) value {
	return field[float64]{
		ptr:    p,
		parse:  func(s string) (float64, error) { return parseFloat(s, lo) },
		format: formatFloat,
	}
}

// seconds is a time.Duration written as whole seconds.
func seconds(p func(*Config) *time.Duration, lo, hi int) value {
	return field[time.Duration]{
		ptr: p,
		parse: func(s string) (time.Duration, error) {
			n, err := parseInt(s, lo, hi)
			return time.Duration(n) * time.Second, err
		},
		format: func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) },
	}
}

func list(p func(*Config) *[]string, check func(string) error) value {
	return field[[]string]{
		ptr: p,
		parse: func(s string) ([]string, error) {
			l, err := ParseList(s)
			if err == nil && check != nil {
				err = checkItems(l, check)
			}
			if err != nil {
				return nil, err
			}
			return l, nil
		},
		format: formatList,
		masker: maskList,
		empty:  true,
	}
}

// tzValue sets Timezone and Location together.
type tzValue struct{}

func (tzValue) set(c *Config, raw string) error {
	loc, err := loadLocation(raw)
	if err != nil {
		return err
	}
	c.Timezone, c.Location = strings.TrimSpace(raw), loc
	return nil
}
func (tzValue) get(c *Config) string  { return c.Timezone }
func (tzValue) mask(c *Config) string { return c.Timezone }
func (tzValue) emptyOK() bool         { return false }

const (
	mb        = 1 << 20
	maxInt    = math.MaxInt
	maxPort   = 65535
	maxBodyMB = 1 << 20 // 1 TiB; only guards against overflow
)

// settings is the single table of every setting gb reads, in the order of
// gemini-balance's Settings class, then gb's own.
var settings = []setting{
	// Database.
	{name: "DATABASE_TYPE", def: "sqlite", used: true, v: strWith(func(c *Config) *string { return &c.DatabaseType }, parseDatabaseType)},
	{name: "SQLITE_DATABASE", def: "default_db", used: true, v: str(func(c *Config) *string { return &c.SQLiteDatabase })},
	{name: "MYSQL_HOST", used: true, v: str(func(c *Config) *string { return &c.MySQLHost })},
	{name: "MYSQL_PORT", def: "3306", used: true, v: intRange(func(c *Config) *int { return &c.MySQLPort }, 1, maxPort)},
	{name: "MYSQL_USER", used: true, v: str(func(c *Config) *string { return &c.MySQLUser })},
	{name: "MYSQL_PASSWORD", secret: true, used: true, v: str(func(c *Config) *string { return &c.MySQLPassword })},
	{name: "MYSQL_DATABASE", used: true, v: str(func(c *Config) *string { return &c.MySQLDatabase })},
	{name: "MYSQL_SOCKET", used: true, v: str(func(c *Config) *string { return &c.MySQLSocket })},

	// Keys, tokens and upstream.
	{name: "API_KEYS", secret: true, used: true, v: list(func(c *Config) *[]string { return &c.APIKeys }, nil)},
	{name: "ALLOWED_TOKENS", secret: true, used: true, v: list(func(c *Config) *[]string { return &c.AllowedTokens }, nil)},
	{name: "AUTH_TOKEN", secret: true, used: true, v: str(func(c *Config) *string { return &c.AuthToken })},
	{name: "BASE_URL", def: "https://generativelanguage.googleapis.com/v1beta", used: true, v: strWith(func(c *Config) *string { return &c.BaseURL }, parseHTTPURL)},
	{name: "MAX_FAILURES", def: "3", used: true, v: intRange(func(c *Config) *int { return &c.MaxFailures }, 1, maxInt)},
	{name: "TEST_MODEL", def: "gemini-2.5-flash-lite", used: true, v: str(func(c *Config) *string { return &c.TestModel })},
	{name: "TIME_OUT", def: "300", used: true, v: seconds(func(c *Config) *time.Duration { return &c.TimeOut }, 1, 1<<31-1)},
	{name: "MAX_RETRIES", def: "3", used: true, v: intRange(func(c *Config) *int { return &c.MaxRetries }, 0, maxInt)},
	{name: "PROXIES", alwaysMask: true, used: true, v: field[[]string]{
		ptr: func(c *Config) *[]string { return &c.Proxies },
		parse: func(s string) ([]string, error) {
			l, err := ParseList(s)
			if err == nil {
				err = checkItems(l, checkProxy)
			}
			if err != nil {
				return nil, err
			}
			return l, nil
		},
		format: formatList, masker: maskProxies, empty: true,
	}},
	{name: "PROXIES_USE_CONSISTENCY_HASH_BY_API_KEY", def: "true", used: true, v: boolean(func(c *Config) *bool { return &c.ProxiesUseConsistencyHashByAPIKey })},
	{name: "VERTEX_API_KEYS", secret: true, v: list(func(c *Config) *[]string { return &c.VertexAPIKeys }, nil)},
	{name: "VERTEX_EXPRESS_BASE_URL", def: "https://aiplatform.googleapis.com/v1beta1/publishers/google", v: strWith(func(c *Config) *string { return &c.VertexExpressBaseURL }, parseHTTPURL)},
	{name: "URL_NORMALIZATION_ENABLED", def: "false", v: boolean(func(c *Config) *bool { return &c.URLNormalizationEnabled })},
	{name: "UPSTREAM_HTTP2", def: "false", used: true, v: boolean(func(c *Config) *bool { return &c.UpstreamHTTP2 })},
	{name: "CUSTOM_HEADERS", alwaysMask: true, used: true, v: field[map[string]string]{
		ptr: func(c *Config) *map[string]string { return &c.CustomHeaders }, parse: parseHeaders,
		format: formatMap[string], masker: maskHeaders, empty: true,
	}},

	// Models.
	{name: "SEARCH_MODELS", def: `["gemini-2.5-flash","gemini-2.5-pro"]`, used: true, v: list(func(c *Config) *[]string { return &c.SearchModels }, nil)},
	{name: "IMAGE_MODELS", def: `["gemini-2.0-flash-exp","gemini-2.5-flash-image-preview"]`, used: true, v: list(func(c *Config) *[]string { return &c.ImageModels }, nil)},
	{name: "FILTERED_MODELS", def: `["gemini-1.0-pro-vision-latest","gemini-pro-vision","chat-bison-001","text-bison-001","embedding-gecko-001"]`, used: true, v: list(func(c *Config) *[]string { return &c.FilteredModels }, nil)},
	{name: "TOOLS_CODE_EXECUTION_ENABLED", def: "false", used: true, v: boolean(func(c *Config) *bool { return &c.ToolsCodeExecutionEnabled })},
	{name: "URL_CONTEXT_ENABLED", def: "false", used: true, v: boolean(func(c *Config) *bool { return &c.URLContextEnabled })},
	{name: "URL_CONTEXT_MODELS", def: `["gemini-2.5-pro","gemini-2.5-flash","gemini-2.5-flash-lite","gemini-2.0-flash","gemini-2.0-flash-live-001"]`, used: true, v: list(func(c *Config) *[]string { return &c.URLContextModels }, nil)},
	{name: "SHOW_SEARCH_LINK", def: "true", used: true, v: boolean(func(c *Config) *bool { return &c.ShowSearchLink })},
	{name: "SHOW_THINKING_PROCESS", def: "true", used: true, v: boolean(func(c *Config) *bool { return &c.ShowThinkingProcess })},
	{name: "THINKING_MODELS", used: true, v: list(func(c *Config) *[]string { return &c.ThinkingModels }, nil)},
	{name: "THINKING_BUDGET_MAP", used: true, v: field[map[string]float64]{
		ptr: func(c *Config) *map[string]float64 { return &c.ThinkingBudgetMap }, parse: parseBudgetMap,
		format: formatMap[float64], empty: true,
	}},
	{name: "SAFETY_SETTINGS", used: true, def: `[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"},{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"OFF"},{"category":"HARM_CATEGORY_SEXUALLY_EXPLICIT","threshold":"OFF"},{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","threshold":"OFF"},{"category":"HARM_CATEGORY_CIVIC_INTEGRITY","threshold":"BLOCK_NONE"}]`,
		v: field[[]SafetySetting]{
			ptr: func(c *Config) *[]SafetySetting { return &c.SafetySettings }, parse: parseSafety,
			format: formatSafety, empty: true,
		}},

	// TTS, Imagen and image hosts.
	{name: "TTS_MODEL", def: "gemini-2.5-flash-preview-tts", v: str(func(c *Config) *string { return &c.TTSModel })},
	{name: "TTS_VOICE_NAME", def: "Zephyr", v: str(func(c *Config) *string { return &c.TTSVoiceName })},
	{name: "TTS_SPEED", def: "normal", v: str(func(c *Config) *string { return &c.TTSSpeed })},
	{name: "PAID_KEY", secret: true, v: str(func(c *Config) *string { return &c.PaidKey })},
	{name: "CREATE_IMAGE_MODEL", def: "imagen-3.0-generate-002", v: str(func(c *Config) *string { return &c.CreateImageModel })},
	{name: "UPLOAD_PROVIDER", def: "smms", v: str(func(c *Config) *string { return &c.UploadProvider })},
	{name: "SMMS_SECRET_TOKEN", secret: true, v: str(func(c *Config) *string { return &c.SMMSSecretToken })},
	{name: "PICGO_API_KEY", secret: true, v: str(func(c *Config) *string { return &c.PicGoAPIKey })},
	{name: "PICGO_API_URL", def: "https://www.picgo.net/api/1/upload", v: str(func(c *Config) *string { return &c.PicGoAPIURL })},
	{name: "CLOUDFLARE_IMGBED_URL", v: str(func(c *Config) *string { return &c.CloudflareImgbedURL })},
	{name: "CLOUDFLARE_IMGBED_AUTH_CODE", secret: true, v: str(func(c *Config) *string { return &c.CloudflareImgbedAuthCode })},
	{name: "CLOUDFLARE_IMGBED_UPLOAD_FOLDER", v: str(func(c *Config) *string { return &c.CloudflareImgbedUploadFolder })},
	{name: "OSS_ENDPOINT", v: str(func(c *Config) *string { return &c.OSSEndpoint })},
	{name: "OSS_ENDPOINT_INNER", v: str(func(c *Config) *string { return &c.OSSEndpointInner })},
	{name: "OSS_ACCESS_KEY", secret: true, v: str(func(c *Config) *string { return &c.OSSAccessKey })},
	{name: "OSS_ACCESS_KEY_SECRET", secret: true, v: str(func(c *Config) *string { return &c.OSSAccessKeySecret })},
	{name: "OSS_BUCKET_NAME", v: str(func(c *Config) *string { return &c.OSSBucketName })},
	{name: "OSS_REGION", v: str(func(c *Config) *string { return &c.OSSRegion })},

	// Stream optimizer and fake stream.
	{name: "STREAM_OPTIMIZER_ENABLED", def: "false", v: boolean(func(c *Config) *bool { return &c.StreamOptimizerEnabled })},
	{name: "STREAM_MIN_DELAY", def: "0.016", v: float(func(c *Config) *float64 { return &c.StreamMinDelay }, 0)},
	{name: "STREAM_MAX_DELAY", def: "0.024", v: float(func(c *Config) *float64 { return &c.StreamMaxDelay }, 0)},
	{name: "STREAM_SHORT_TEXT_THRESHOLD", def: "10", v: intRange(func(c *Config) *int { return &c.StreamShortTextThreshold }, 0, maxInt)},
	{name: "STREAM_LONG_TEXT_THRESHOLD", def: "50", v: intRange(func(c *Config) *int { return &c.StreamLongTextThreshold }, 0, maxInt)},
	{name: "STREAM_CHUNK_SIZE", def: "5", v: intRange(func(c *Config) *int { return &c.StreamChunkSize }, 1, maxInt)},
	{name: "FAKE_STREAM_ENABLED", def: "false", v: boolean(func(c *Config) *bool { return &c.FakeStreamEnabled })},
	{name: "FAKE_STREAM_EMPTY_DATA_INTERVAL_SECONDS", def: "5", v: intRange(func(c *Config) *int { return &c.FakeStreamEmptyDataIntervalSeconds }, 1, maxInt)},

	// Scheduler, update check and logs.
	{name: "CHECK_INTERVAL_HOURS", def: "1", used: true, v: intRange(func(c *Config) *int { return &c.CheckIntervalHours }, 0, maxInt)},
	{name: "TIMEZONE", def: "Asia/Shanghai", used: true, v: tzValue{}},
	{name: "GITHUB_REPO_OWNER", def: "snailyp", v: str(func(c *Config) *string { return &c.GitHubRepoOwner })},
	{name: "GITHUB_REPO_NAME", def: "gemini-balance", v: str(func(c *Config) *string { return &c.GitHubRepoName })},
	{name: "LOG_LEVEL", def: "INFO", used: true, v: strWith(func(c *Config) *string { return &c.LogLevel }, parseLogLevel)},
	{name: "ERROR_LOG_RECORD_REQUEST_BODY", def: "false", used: true, v: boolean(func(c *Config) *bool { return &c.ErrorLogRecordRequestBody })},
	{name: "AUTO_DELETE_ERROR_LOGS_ENABLED", def: "true", used: true, v: boolean(func(c *Config) *bool { return &c.AutoDeleteErrorLogsEnabled })},
	{name: "AUTO_DELETE_ERROR_LOGS_DAYS", def: "7", used: true, v: intRange(func(c *Config) *int { return &c.AutoDeleteErrorLogsDays }, 1, maxInt)},
	{name: "AUTO_DELETE_REQUEST_LOGS_ENABLED", def: "false", used: true, v: boolean(func(c *Config) *bool { return &c.AutoDeleteRequestLogsEnabled })},
	{name: "AUTO_DELETE_REQUEST_LOGS_DAYS", def: "30", used: true, v: intRange(func(c *Config) *int { return &c.AutoDeleteRequestLogsDays }, 1, maxInt)},

	// Admin session and Files API.
	{name: "ADMIN_SESSION_EXPIRE", def: "3600", used: true, v: seconds(func(c *Config) *time.Duration { return &c.AdminSessionExpire }, 300, 86400)},
	{name: "FILES_CLEANUP_ENABLED", def: "true", v: boolean(func(c *Config) *bool { return &c.FilesCleanupEnabled })},
	{name: "FILES_CLEANUP_INTERVAL_HOURS", def: "1", v: intRange(func(c *Config) *int { return &c.FilesCleanupIntervalHours }, 1, maxInt)},
	{name: "FILES_USER_ISOLATION_ENABLED", def: "true", v: boolean(func(c *Config) *bool { return &c.FilesUserIsolationEnabled })},

	// gb's own.
	{name: "HOST", def: "0.0.0.0", used: true, v: str(func(c *Config) *string { return &c.Host })},
	{name: "PORT", def: "8000", used: true, v: intRange(func(c *Config) *int { return &c.Port }, 1, maxPort)},
	{name: "MAX_REQUEST_BODY_MB", def: "64", used: true, v: field[int64]{
		ptr: func(c *Config) *int64 { return &c.MaxBodyBytes },
		parse: func(s string) (int64, error) {
			n, err := parseInt(s, 1, maxBodyMB)
			return int64(n) * mb, err
		},
		format: func(b int64) string { return strconv.FormatInt((b+mb-1)/mb, 10) },
	}},
	{name: "SHUTDOWN_TIMEOUT", def: "30", used: true, v: seconds(func(c *Config) *time.Duration { return &c.ShutdownTimeout }, 0, 3600)},
}

var settingIndex = func() map[string]int {
	m := make(map[string]int, len(settings))
	for i := range settings {
		m[settings[i].name] = i
	}
	return m
}()

func lookup(name string) *setting {
	if i, ok := settingIndex[name]; ok {
		return &settings[i]
	}
	return nil
}
