package config

import (
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// envOf returns a getenv over m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func mustLoad(t *testing.T, env map[string]string, dotenv string) (*Config, []Notice) {
	t.Helper()
	c, n, err := Load(envOf(env), []byte(dotenv))
	require.NoError(t, err)
	return c, n
}

var cmpLocation = cmp.Comparer(func(a, b *time.Location) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.String() == b.String()
})

func TestDefaultsMatchGeminiBalance(t *testing.T) {
	c := Default()
	assert.Equal(t, "sqlite", c.DatabaseType, "gb defaults to sqlite (gemini-balance: mysql)")
	assert.Equal(t, "default_db", c.SQLiteDatabase)
	assert.Equal(t, 3306, c.MySQLPort)
	assert.Empty(t, c.APIKeys)
	assert.Empty(t, c.AllowedTokens)
	assert.Equal(t, "", c.AuthToken)
	assert.Equal(t, "https://generativelanguage.googleapis.com/v1beta", c.BaseURL)
	assert.Equal(t, 3, c.MaxFailures)
	assert.Equal(t, 3, c.MaxRetries)
	assert.Equal(t, "gemini-2.5-flash-lite", c.TestModel)
	assert.Equal(t, 300*time.Second, c.TimeOut)
	assert.Empty(t, c.Proxies)
	assert.True(t, c.ProxiesUseConsistencyHashByAPIKey)
	assert.Equal(t, "https://aiplatform.googleapis.com/v1beta1/publishers/google", c.VertexExpressBaseURL)
	assert.False(t, c.URLNormalizationEnabled)
	assert.Empty(t, c.CustomHeaders)
	assert.Equal(t, []string{"gemini-2.5-flash", "gemini-2.5-pro"}, c.SearchModels)
	assert.Equal(t, []string{"gemini-2.0-flash-exp", "gemini-2.5-flash-image-preview"}, c.ImageModels)
	assert.Equal(t, []string{"gemini-1.0-pro-vision-latest", "gemini-pro-vision", "chat-bison-001", "text-bison-001", "embedding-gecko-001"}, c.FilteredModels)
	assert.False(t, c.ToolsCodeExecutionEnabled)
	assert.False(t, c.URLContextEnabled)
	assert.Equal(t, []string{"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash", "gemini-2.0-flash-live-001"}, c.URLContextModels)
	assert.True(t, c.ShowSearchLink)
	assert.True(t, c.ShowThinkingProcess)
	assert.Empty(t, c.ThinkingModels)
	assert.Empty(t, c.ThinkingBudgetMap)
	assert.Equal(t, []SafetySetting{
		{"HARM_CATEGORY_HARASSMENT", "OFF"},
		{"HARM_CATEGORY_HATE_SPEECH", "OFF"},
		{"HARM_CATEGORY_SEXUALLY_EXPLICIT", "OFF"},
		{"HARM_CATEGORY_DANGEROUS_CONTENT", "OFF"},
		{"HARM_CATEGORY_CIVIC_INTEGRITY", "BLOCK_NONE"},
	}, c.SafetySettings)
	assert.Equal(t, "gemini-2.5-flash-preview-tts", c.TTSModel)
	assert.Equal(t, "Zephyr", c.TTSVoiceName)
	assert.Equal(t, "normal", c.TTSSpeed)
	assert.Equal(t, "", c.PaidKey)
	assert.Equal(t, "imagen-3.0-generate-002", c.CreateImageModel)
	assert.Equal(t, "smms", c.UploadProvider)
	assert.Equal(t, "https://www.picgo.net/api/1/upload", c.PicGoAPIURL)
	assert.False(t, c.StreamOptimizerEnabled)
	assert.Equal(t, 0.016, c.StreamMinDelay)
	assert.Equal(t, 0.024, c.StreamMaxDelay)
	assert.Equal(t, 10, c.StreamShortTextThreshold)
	assert.Equal(t, 50, c.StreamLongTextThreshold)
	assert.Equal(t, 5, c.StreamChunkSize)
	assert.False(t, c.FakeStreamEnabled)
	assert.Equal(t, 5, c.FakeStreamEmptyDataIntervalSeconds)
	assert.Equal(t, 1, c.CheckIntervalHours)
	assert.Equal(t, "Asia/Shanghai", c.Timezone)
	require.NotNil(t, c.Location)
	assert.Equal(t, "Asia/Shanghai", c.Location.String())
	assert.Equal(t, "snailyp", c.GitHubRepoOwner)
	assert.Equal(t, "gemini-balance", c.GitHubRepoName)
	assert.Equal(t, "INFO", c.LogLevel)
	assert.Equal(t, slog.LevelInfo, c.SlogLevel())
	assert.False(t, c.ErrorLogRecordRequestBody)
	assert.True(t, c.AutoDeleteErrorLogsEnabled)
	assert.Equal(t, 7, c.AutoDeleteErrorLogsDays)
	assert.False(t, c.AutoDeleteRequestLogsEnabled)
	assert.Equal(t, 30, c.AutoDeleteRequestLogsDays)
	assert.Equal(t, 3600*time.Second, c.AdminSessionExpire)
	assert.True(t, c.FilesCleanupEnabled)
	assert.Equal(t, 1, c.FilesCleanupIntervalHours)
	assert.True(t, c.FilesUserIsolationEnabled)
	assert.Equal(t, "0.0.0.0", c.Host)
	assert.Equal(t, 8000, c.Port)
	assert.Equal(t, int64(64<<20), c.MaxBodyBytes)
	assert.Equal(t, 30*time.Second, c.ShutdownTimeout)
}

func TestLoadEmptyIsDefault(t *testing.T) {
	c, n, err := Load(nil, nil)
	require.NoError(t, err)
	assert.Empty(t, n)
	assert.Empty(t, cmp.Diff(Default(), c, cmpLocation))
}

func TestDefaultIsACopy(t *testing.T) {
	a := Default()
	a.SearchModels[0] = "changed"
	a.SafetySettings[0].Threshold = "changed"
	b := Default()
	assert.Equal(t, "gemini-2.5-flash", b.SearchModels[0])
	assert.Equal(t, "OFF", b.SafetySettings[0].Threshold)
}

func TestParseTypes(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c *Config)
	}{
		{"int", map[string]string{"MAX_RETRIES": " 7 "}, func(t *testing.T, c *Config) { assert.Equal(t, 7, c.MaxRetries) }},
		{"int zero retries", map[string]string{"MAX_RETRIES": "0"}, func(t *testing.T, c *Config) { assert.Equal(t, 0, c.MaxRetries) }},
		{"duration seconds", map[string]string{"TIME_OUT": "45"}, func(t *testing.T, c *Config) { assert.Equal(t, 45*time.Second, c.TimeOut) }},
		{"float", map[string]string{"STREAM_MIN_DELAY": "0.5"}, func(t *testing.T, c *Config) { assert.Equal(t, 0.5, c.StreamMinDelay) }},
		{"body MB", map[string]string{"MAX_REQUEST_BODY_MB": "10"}, func(t *testing.T, c *Config) { assert.Equal(t, int64(10<<20), c.MaxBodyBytes) }},
		{"list json", map[string]string{"API_KEYS": `["k1", " k2 ",""]`}, func(t *testing.T, c *Config) { assert.Equal(t, []string{"k1", "k2"}, c.APIKeys) }},
		{"list comma", map[string]string{"API_KEYS": "k1, k2 ,,k3"}, func(t *testing.T, c *Config) { assert.Equal(t, []string{"k1", "k2", "k3"}, c.APIKeys) }},
		{"list empty json clears default", map[string]string{"SEARCH_MODELS": "[]"}, func(t *testing.T, c *Config) { assert.Empty(t, c.SearchModels) }},
		{"headers", map[string]string{"CUSTOM_HEADERS": `{"X-Foo":"bar"}`}, func(t *testing.T, c *Config) {
			assert.Equal(t, map[string]string{"X-Foo": "bar"}, c.CustomHeaders)
		}},
		{"budget json", map[string]string{"THINKING_BUDGET_MAP": `{"gemini-2.5-pro": 1024, "gemini-2.5-flash": -1}`}, func(t *testing.T, c *Config) {
			assert.Equal(t, map[string]float64{"gemini-2.5-pro": 1024, "gemini-2.5-flash": -1}, c.ThinkingBudgetMap)
		}},
		{"budget single quotes", map[string]string{"THINKING_BUDGET_MAP": `{'gemini-2.5-pro': 2048}`}, func(t *testing.T, c *Config) {
			assert.Equal(t, map[string]float64{"gemini-2.5-pro": 2048}, c.ThinkingBudgetMap)
		}},
		{"safety", map[string]string{"SAFETY_SETTINGS": `[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_ONLY_HIGH"}]`}, func(t *testing.T, c *Config) {
			assert.Equal(t, []SafetySetting{{"HARM_CATEGORY_HARASSMENT", "BLOCK_ONLY_HIGH"}}, c.SafetySettings)
		}},
		{"base url trailing slash", map[string]string{"BASE_URL": "https://example.com/v1beta/"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "https://example.com/v1beta", c.BaseURL)
		}},
		{"proxies", map[string]string{"PROXIES": "http://u:p@h:1, socks5://h:2,SOCKS5H://h:3,https://h"}, func(t *testing.T, c *Config) {
			assert.Equal(t, []string{"http://u:p@h:1", "socks5://h:2", "SOCKS5H://h:3", "https://h"}, c.Proxies)
		}},
		{"log level lower", map[string]string{"LOG_LEVEL": "debug"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "DEBUG", c.LogLevel)
			assert.Equal(t, slog.LevelDebug, c.SlogLevel())
		}},
		{"log level warn alias", map[string]string{"LOG_LEVEL": "warn"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "WARNING", c.LogLevel)
			assert.Equal(t, slog.LevelWarn, c.SlogLevel())
		}},
		{"log level critical", map[string]string{"LOG_LEVEL": "Critical"}, func(t *testing.T, c *Config) {
			assert.Equal(t, slog.LevelError+4, c.SlogLevel())
		}},
		{"timezone", map[string]string{"TIMEZONE": "UTC"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "UTC", c.Timezone)
			assert.Equal(t, time.UTC.String(), c.Location.String())
		}},
		{"database type case", map[string]string{"DATABASE_TYPE": "MySQL", "MYSQL_SOCKET": "/run/mysqld.sock", "MYSQL_USER": "u", "MYSQL_DATABASE": "d"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "mysql", c.DatabaseType)
		}},
		{"admin session bounds", map[string]string{"ADMIN_SESSION_EXPIRE": "300"}, func(t *testing.T, c *Config) { assert.Equal(t, 300*time.Second, c.AdminSessionExpire) }},
		{"empty scalar keeps default", map[string]string{"MAX_RETRIES": ""}, func(t *testing.T, c *Config) { assert.Equal(t, 3, c.MaxRetries) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := mustLoad(t, tt.env, "")
			tt.check(t, c)
		})
	}
}

func TestParseBool(t *testing.T) {
	for _, s := range []string{"true", "TRUE", "1", "yes", "Yes", "on", "ON"} {
		c, _ := mustLoad(t, map[string]string{"SHOW_SEARCH_LINK": "false", "FAKE_STREAM_ENABLED": s}, "")
		assert.True(t, c.FakeStreamEnabled, s)
	}
	for _, s := range []string{"false", "False", "0", "no", "NO", "off", "Off"} {
		c, _ := mustLoad(t, map[string]string{"SHOW_SEARCH_LINK": s}, "")
		assert.False(t, c.ShowSearchLink, s)
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"   ", nil, false},
		{"a", []string{"a"}, false},
		{"a,b", []string{"a", "b"}, false},
		{" a , b ,", []string{"a", "b"}, false},
		{"a\nb\r\nc", []string{"a", "b", "c"}, false},
		{`["a","b"]`, []string{"a", "b"}, false},
		{` [ "a" , "b,c" ] `, []string{"a", "b,c"}, false},
		{`[]`, nil, false},
		{`["a",`, nil, true},
		{`[1,2]`, nil, true},
		{`[null]`, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseList(tt.in)
		if tt.err {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestDotenvSyntax(t *testing.T) {
	tests := []struct {
		name string
		file string
		key  string
		want string
	}{
		{"plain", "TEST_MODEL=m1", "TEST_MODEL", "m1"},
		{"export", "export TEST_MODEL=m1", "TEST_MODEL", "m1"},
		{"spaces around", "  TEST_MODEL = m1  ", "TEST_MODEL", "m1"},
		{"inline comment", "TEST_MODEL=m1 # the model", "TEST_MODEL", "m1"},
		{"hash without space kept", "TEST_MODEL=m1#x", "TEST_MODEL", "m1#x"},
		{"single quotes literal", `TEST_MODEL='a\nb # c'`, "TEST_MODEL", `a\nb # c`},
		{"double quotes escapes", `TEST_MODEL="a\"b\\c"`, "TEST_MODEL", `a"b\c`},
		{"double quotes newline", `TTS_SPEED="a\nb"`, "TTS_SPEED", "a\nb"},
		{"double quotes with comment after", `TEST_MODEL="m1" # comment`, "TEST_MODEL", "m1"},
		{"crlf", "TEST_MODEL=m1\r\nTTS_SPEED=fast\r\n", "TEST_MODEL", "m1"},
		{"crlf second", "TEST_MODEL=m1\r\nTTS_SPEED=fast\r\n", "TTS_SPEED", "fast"},
		{"comment line", "# TEST_MODEL=no\nTEST_MODEL=yes", "TEST_MODEL", "yes"},
		{"blank lines", "\n\n  \nTEST_MODEL=m1\n\n", "TEST_MODEL", "m1"},
		{"later wins", "TEST_MODEL=a\nTEST_MODEL=b", "TEST_MODEL", "b"},
		{"json list unquoted", `SEARCH_MODELS=["a", "b"]`, "SEARCH_MODELS", `["a","b"]`},
		{"json keeps hash inside", `CUSTOM_HEADERS={"X-Tag": "a #b"} # c`, "CUSTOM_HEADERS", `{"X-Tag":"a #b"}`},
		{"multi-line double quoted", "TTS_SPEED=\"a\nb\"\nTEST_MODEL=m2", "TTS_SPEED", "a\nb"},
		{"after multi-line", "TTS_SPEED=\"a\nb\"\nTEST_MODEL=m2", "TEST_MODEL", "m2"},
		{"interpolation from file", "OSS_REGION=eu\nOSS_BUCKET_NAME=b-${OSS_REGION}", "OSS_BUCKET_NAME", "b-eu"},
		{"interpolation default", "OSS_BUCKET_NAME=${NOPE:-dflt}", "OSS_BUCKET_NAME", "dflt"},
		{"no interpolation in single quotes", "OSS_BUCKET_NAME='${X}'", "OSS_BUCKET_NAME", "${X}"},
		{"bom", "\uFEFFTEST_MODEL=m1", "TEST_MODEL", "m1"},
		{"empty value", "TEST_MODEL=", "TEST_MODEL", "gemini-2.5-flash-lite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := mustLoad(t, nil, tt.file)
			assert.Equal(t, tt.want, c.Env()[tt.key])
		})
	}
}

func TestDotenvEmptyListClears(t *testing.T) {
	c, _ := mustLoad(t, nil, "SEARCH_MODELS=\nIMAGE_MODELS=''")
	assert.Empty(t, c.SearchModels)
	assert.Empty(t, c.ImageModels)
}

func TestDotenvBadLinesAreNoticed(t *testing.T) {
	c, n, err := Load(nil, []byte("TEST_MODEL=m1\nthis is junk\nBARE\nAUTH_TOKEN=\"unterminated-secret-value\nOTHER"))
	require.NoError(t, err)
	assert.Equal(t, "m1", c.TestModel)
	var texts []string
	for _, x := range n {
		texts = append(texts, x.Text)
	}
	all := strings.Join(texts, "\n")
	assert.Contains(t, all, ".env line 2 ignored")
	assert.Contains(t, all, ".env line 4 ignored: unterminated")
	assert.NotContains(t, all, "BARE")
	assert.NotContains(t, all, "unterminated-secret-value")
	assert.Equal(t, "", c.AuthToken)
}

func TestEnvironmentWinsOverDotenv(t *testing.T) {
	c, _ := mustLoad(t,
		map[string]string{"MAX_RETRIES": "9", "TEST_MODEL": ""},
		"MAX_RETRIES=5\nTEST_MODEL=from-file\nMAX_FAILURES=4\n")
	assert.Equal(t, 9, c.MaxRetries, "env wins")
	assert.Equal(t, "from-file", c.TestModel, "empty env does not hide .env")
	assert.Equal(t, 4, c.MaxFailures, ".env beats default")
}

func TestInterpolationPrefersEnvironment(t *testing.T) {
	c, _ := mustLoad(t, map[string]string{"REGION": "us"}, "REGION=eu\nOSS_BUCKET_NAME=b-${REGION}")
	assert.Equal(t, "b-us", c.OSSBucketName)
}

func TestErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MAX_RETRIES": "abc"}, `MAX_RETRIES: "abc" is not a whole number`},
		{map[string]string{"MAX_RETRIES": "-1"}, `MAX_RETRIES: "-1" is out of range (expected 0 or more)`},
		{map[string]string{"MAX_FAILURES": "0"}, `MAX_FAILURES: "0" is out of range (expected 1 or more)`},
		{map[string]string{"TIME_OUT": "0"}, `TIME_OUT: "0" is out of range`},
		{map[string]string{"TIME_OUT": "1.5"}, `TIME_OUT: "1.5" is not a whole number`},
		{map[string]string{"PORT": "70000"}, `PORT: "70000" is out of range (expected 1 to 65535)`},
		{map[string]string{"PORT": "0"}, `PORT: "0" is out of range`},
		{map[string]string{"MYSQL_PORT": "x"}, `MYSQL_PORT: "x" is not a whole number`},
		{map[string]string{"SHOW_SEARCH_LINK": "maybe"}, `SHOW_SEARCH_LINK: "maybe" is not a boolean`},
		{map[string]string{"STREAM_MIN_DELAY": "fast"}, `STREAM_MIN_DELAY: "fast" is not a number`},
		{map[string]string{"STREAM_MAX_DELAY": "NaN"}, `STREAM_MAX_DELAY: "NaN" is not a number`},
		{map[string]string{"STREAM_MIN_DELAY": "-1"}, `STREAM_MIN_DELAY: "-1" is out of range`},
		{map[string]string{"TIMEZONE": "Mars/Olympus"}, `TIMEZONE: "Mars/Olympus" is not a known time zone`},
		{map[string]string{"LOG_LEVEL": "loud"}, `LOG_LEVEL: "loud" is not a log level`},
		{map[string]string{"BASE_URL": "ftp://x"}, `BASE_URL: "ftp://x" is not an http(s) URL`},
		{map[string]string{"BASE_URL": "generativelanguage.googleapis.com"}, `BASE_URL: "generativelanguage.googleapis.com" is not an http(s) URL`},
		{map[string]string{"VERTEX_EXPRESS_BASE_URL": "nope"}, `VERTEX_EXPRESS_BASE_URL: "nope" is not an http(s) URL`},
		{map[string]string{"PROXIES": "http://ok:1,ftp://bad:2"}, `PROXIES: entry "ftp://bad:2" has an unsupported scheme`},
		{map[string]string{"PROXIES": "host:8080"}, `PROXIES: entry "host:8080"`},
		{map[string]string{"DATABASE_TYPE": "postgres"}, `DATABASE_TYPE: "postgres" is not a database type (expected sqlite or mysql)`},
		{map[string]string{"DATABASE_TYPE": "mysql", "MYSQL_USER": "u", "MYSQL_DATABASE": "d"}, `MYSQL_HOST: is required when DATABASE_TYPE is mysql`},
		{map[string]string{"DATABASE_TYPE": "mysql", "MYSQL_HOST": "h", "MYSQL_DATABASE": "d"}, `MYSQL_USER: is required`},
		{map[string]string{"DATABASE_TYPE": "mysql", "MYSQL_HOST": "h", "MYSQL_USER": "u"}, `MYSQL_DATABASE: is required`},
		{map[string]string{"SEARCH_MODELS": `["a",`}, `SEARCH_MODELS: "[\"a\"," is not a valid JSON array`},
		{map[string]string{"CUSTOM_HEADERS": `x=y`}, `CUSTOM_HEADERS: "x=y" is not a JSON object`},
		{map[string]string{"CUSTOM_HEADERS": `{"Bad Header":"v"}`}, `CUSTOM_HEADERS: entry "Bad Header" is not a valid header name`},
		{map[string]string{"CUSTOM_HEADERS": `{"X":1}`}, `CUSTOM_HEADERS: entry "X" has a value that is not a string`},
		{map[string]string{"THINKING_BUDGET_MAP": `{"m": "lots"}`}, `THINKING_BUDGET_MAP: entry "m" has a budget that is not a number`},
		{map[string]string{"THINKING_BUDGET_MAP": `nope`}, `THINKING_BUDGET_MAP: "nope" is not a JSON object`},
		{map[string]string{"SAFETY_SETTINGS": `[{"category":"X"}]`}, `SAFETY_SETTINGS: "[{\"category\":\"X\"}]" has entry 1 without both`},
		{map[string]string{"SAFETY_SETTINGS": `{}`}, `SAFETY_SETTINGS: "{}" is not a JSON array`},
		{map[string]string{"ADMIN_SESSION_EXPIRE": "60"}, `ADMIN_SESSION_EXPIRE: "60" is out of range (expected 300 to 86400)`},
		{map[string]string{"ADMIN_SESSION_EXPIRE": "86401"}, `ADMIN_SESSION_EXPIRE: "86401" is out of range`},
		{map[string]string{"MAX_REQUEST_BODY_MB": "0"}, `MAX_REQUEST_BODY_MB: "0" is out of range`},
		{map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, `SHUTDOWN_TIMEOUT: "soon" is not a whole number`},
		{map[string]string{"STREAM_CHUNK_SIZE": "0"}, `STREAM_CHUNK_SIZE: "0" is out of range`},
		{map[string]string{"FAKE_STREAM_EMPTY_DATA_INTERVAL_SECONDS": "0"}, `FAKE_STREAM_EMPTY_DATA_INTERVAL_SECONDS: "0" is out of range`},
		{map[string]string{"CHECK_INTERVAL_HOURS": "-1"}, `CHECK_INTERVAL_HOURS: "-1" is out of range`},
		{map[string]string{"AUTO_DELETE_ERROR_LOGS_DAYS": "0"}, `AUTO_DELETE_ERROR_LOGS_DAYS: "0" is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c, _, err := Load(envOf(tt.env), nil)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.True(t, strings.HasPrefix(err.Error(), e.Name+": "))
		})
	}
}

func TestErrorListsOtherInvalidNames(t *testing.T) {
	_, _, err := Load(envOf(map[string]string{"MAX_RETRIES": "x", "PORT": "y"}), nil)
	require.Error(t, err)
	assert.Equal(t, `MAX_RETRIES: "x" is not a whole number (also invalid: PORT)`, err.Error())
}

func TestErrorFromDotenvValue(t *testing.T) {
	_, _, err := Load(nil, []byte("MAX_RETRIES=abc\n"))
	require.Error(t, err)
	assert.Equal(t, `MAX_RETRIES: "abc" is not a whole number`, err.Error())
}

func TestErrorsNeverEchoSecrets(t *testing.T) {
	const secret = "AIzaSyA1234567890abcdefghijklmnopqrstu"
	tests := []map[string]string{
		{"API_KEYS": `["` + secret + `",`},
		{"API_KEYS": `[` + secret + `]`},
		{"ALLOWED_TOKENS": `["` + secret + `", 5]`},
		{"VERTEX_API_KEYS": `[{"k":"` + secret + `"}]`},
		{"PROXIES": "ftp://user:" + secret + "@host:1"},
		{"PROXIES": "http://user:" + secret + "@host:1,bad"},
		{"TEST_MODEL": "x", "BASE_URL": "ftp://h/?key=" + secret},
		{"CUSTOM_HEADERS": `{"Authorization": "Bearer ` + secret + `", "X": 1}`},
		{"THINKING_BUDGET_MAP": `{"a": "` + secret + `"`},
	}
	for _, env := range tests {
		_, _, err := Load(envOf(env), nil)
		require.Error(t, err, env)
		assert.NotContains(t, err.Error(), secret)
		assert.NotContains(t, err.Error(), secret[4:len(secret)-4])
	}
}

func TestNoticesForUnusedSettings(t *testing.T) {
	_, n := mustLoad(t,
		map[string]string{"VERTEX_API_KEYS": "AQ.abc", "UPLOAD_PROVIDER": "picgo", "PATH": "/bin", "SOMETHING_ELSE": "1"},
		"GITHUB_REPO_OWNER=snailyp\nFAKE_STREAM_ENABLED=true\nSTREAM_OPTIMIZER_ENABLED=\nAPI_KEYS=k\nAUTH_TOKEN=t\n")
	require.Len(t, n, 1)
	assert.Equal(t, "accepted but not used yet: VERTEX_API_KEYS, UPLOAD_PROVIDER, FAKE_STREAM_ENABLED", n[0].Text)
	assert.NotContains(t, n[0].Text, "AQ.abc")
}

func TestNoNoticesForUsedSettings(t *testing.T) {
	_, n := mustLoad(t, map[string]string{"API_KEYS": "a,b", "AUTH_TOKEN": "adm", "MAX_RETRIES": "5"}, "")
	assert.Empty(t, n)
}

func TestNoAuthTokenFallback(t *testing.T) {
	// Unlike gemini-balance, a client token never becomes the admin token.
	c, n := mustLoad(t, map[string]string{"ALLOWED_TOKENS": "tok-alpha,tok-beta"}, "")
	assert.Equal(t, "", c.AuthToken)
	assert.Equal(t, "", c.AdminToken())
	assert.Empty(t, n)

	c, _ = mustLoad(t, map[string]string{"ALLOWED_TOKENS": "first", "AUTH_TOKEN": "admin"}, "")
	assert.Equal(t, "admin", c.AdminToken())
	assert.Equal(t, "", Default().AdminToken())
}

func fullConfig(t *testing.T) *Config {
	t.Helper()
	c, _ := mustLoad(t, map[string]string{
		"DATABASE_TYPE":  "mysql",
		"MYSQL_HOST":     "db",
		"MYSQL_PORT":     "3307",
		"MYSQL_USER":     "gb",
		"MYSQL_PASSWORD": "p@ss, \"word\"",
		"MYSQL_DATABASE": "gbdb",
		"API_KEYS":       `["AIzaSyA1234567890abcdefghijklmnopqrstu","k,with,commas"]`,
		"ALLOWED_TOKENS": "sk-one,sk-two",
		"AUTH_TOKEN":     "admin-token-123456",
		"BASE_URL":       "http://localhost:9000/v1beta",
		"MAX_FAILURES":   "10",
		"MAX_RETRIES":    "0",
		"TIME_OUT":       "12",
		"PROXIES":        "http://u:secretpass@p1:8080,socks5h://p2:1080",
		"PROXIES_USE_CONSISTENCY_HASH_BY_API_KEY": "false",
		"CUSTOM_HEADERS":       `{"Authorization":"Bearer abcdefghijklmnop","X-Trace":"<on>&"}`,
		"SEARCH_MODELS":        "[]",
		"THINKING_MODELS":      "gemini-2.5-pro",
		"THINKING_BUDGET_MAP":  `{"gemini-2.5-pro":1024.5,"gemini-2.5-flash":-1}`,
		"SAFETY_SETTINGS":      `[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]`,
		"STREAM_MIN_DELAY":     "0.001",
		"STREAM_MAX_DELAY":     "1e-2",
		"TIMEZONE":             "Europe/Berlin",
		"LOG_LEVEL":            "error",
		"ADMIN_SESSION_EXPIRE": "86400",
		"PAID_KEY":             "paid-key-abcdefghijkl",
		"SMMS_SECRET_TOKEN":    "smms-token-abcdefgh",
		"PORT":                 "9999",
		"MAX_REQUEST_BODY_MB":  "1",
		"SHUTDOWN_TIMEOUT":     "0",
		"VERTEX_API_KEYS":      "AQ.vertexkeyabcdefghij",
	}, "")
	return c
}

func TestEnvRoundTrip(t *testing.T) {
	for name, c := range map[string]*Config{"default": Default(), "full": fullConfig(t)} {
		t.Run(name, func(t *testing.T) {
			env := c.Env()
			assert.Len(t, env, len(Names()))
			back, _, err := Load(envOf(env), nil)
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(c, back, cmpLocation))

			// Through a .env file as well, double-quoting every value.
			var b strings.Builder
			for k, v := range env {
				b.WriteString(k + "=\"" + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + "\"\n")
			}
			back, _, err = Load(nil, []byte(b.String()))
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(c, back, cmpLocation))
		})
	}
}

func TestEnvForms(t *testing.T) {
	env := fullConfig(t).Env()
	assert.Equal(t, `["sk-one","sk-two"]`, env["ALLOWED_TOKENS"])
	assert.Equal(t, `[]`, env["SEARCH_MODELS"])
	assert.Equal(t, `false`, env["PROXIES_USE_CONSISTENCY_HASH_BY_API_KEY"])
	assert.Equal(t, `12`, env["TIME_OUT"])
	assert.Equal(t, `1`, env["MAX_REQUEST_BODY_MB"])
	assert.Equal(t, `ERROR`, env["LOG_LEVEL"])
	assert.Equal(t, `{"Authorization":"Bearer abcdefghijklmnop","X-Trace":"<on>&"}`, env["CUSTOM_HEADERS"])
	assert.Equal(t, `{}`, Default().Env()["THINKING_BUDGET_MAP"])
}

func TestRedacted(t *testing.T) {
	c := fullConfig(t)
	r := c.Redacted()
	env := c.Env()
	for _, s := range []string{"AIzaSyA1234567890abcdefghijklmnopqrstu", "sk-one", "admin-token-123456", "secretpass", "abcdefghijklmnop", "paid-key-abcdefghijkl", "smms-token-abcdefgh", "AQ.vertexkeyabcdefghij", `p@ss`} {
		for k, v := range r {
			assert.NotContains(t, v, s, k)
		}
	}
	assert.Equal(t, `["AIza…rstu","k,wi…mmas"]`, r["API_KEYS"])
	assert.Equal(t, `["sk…","sk…"]`, r["ALLOWED_TOKENS"])
	assert.Equal(t, `admi…3456`, r["AUTH_TOKEN"])
	assert.Equal(t, `["http://u:xxxxx@p1:8080","socks5h://p2:1080"]`, r["PROXIES"])
	assert.Equal(t, `{"Authorization":"Bear…mnop","X-Trace":"<on>&"}`, r["CUSTOM_HEADERS"])
	assert.Equal(t, "", Default().Redacted()["AUTH_TOKEN"])
	assert.Equal(t, `[]`, Default().Redacted()["API_KEYS"])
	// Non-secret settings are unchanged.
	for k, v := range env {
		if !Secret(k) && k != "PROXIES" && k != "CUSTOM_HEADERS" {
			assert.Equal(t, v, r[k], k)
		}
	}
	assert.Len(t, r, len(env))
}

func TestSecret(t *testing.T) {
	for _, n := range []string{"API_KEYS", "ALLOWED_TOKENS", "AUTH_TOKEN", "PAID_KEY", "VERTEX_API_KEYS", "MYSQL_PASSWORD", "SMMS_SECRET_TOKEN", "PICGO_API_KEY", "CLOUDFLARE_IMGBED_AUTH_CODE", "OSS_ACCESS_KEY", "OSS_ACCESS_KEY_SECRET", "auth_token", "SOME_NEW_SECRET", "X_TOKEN"} {
		assert.True(t, Secret(n), n)
	}
	for _, n := range []string{"BASE_URL", "PROXIES", "MAX_RETRIES", "PROXIES_USE_CONSISTENCY_HASH_BY_API_KEY", "PATH"} {
		assert.False(t, Secret(n), n)
	}
	// Every table name that looks secret is flagged secret.
	for _, s := range settings {
		if strings.Contains(s.name, "SECRET") || strings.Contains(s.name, "TOKEN") || strings.Contains(s.name, "PASSWORD") {
			assert.True(t, s.secret, s.name)
		}
	}
}

func TestTableIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range settings {
		assert.False(t, seen[s.name], "duplicate %s", s.name)
		seen[s.name] = true
		// Each default survives its own format.
		c := Default()
		require.NoError(t, s.v.set(c, s.v.get(Default())), s.name)
	}
}

func TestCloneIsDeep(t *testing.T) {
	a := fullConfig(t)
	b := a.Clone()
	require.Empty(t, cmp.Diff(a, b, cmpLocation))
	b.APIKeys[0] = "x"
	b.CustomHeaders["X-Trace"] = "x"
	b.ThinkingBudgetMap["gemini-2.5-pro"] = 1
	b.SafetySettings[0].Category = "x"
	b.Proxies[0] = "x"
	assert.NotEqual(t, "x", a.APIKeys[0])
	assert.NotEqual(t, "x", a.CustomHeaders["X-Trace"])
	assert.NotEqual(t, 1.0, a.ThinkingBudgetMap["gemini-2.5-pro"])
	assert.NotEqual(t, "x", a.SafetySettings[0].Category)
	assert.NotEqual(t, "x", a.Proxies[0])
	assert.Nil(t, (*Config)(nil).Clone())
}

func TestWith(t *testing.T) {
	a := Default()
	b, err := a.With(map[string]string{"MAX_RETRIES": "5", "API_KEYS": "k1,k2"})
	require.NoError(t, err)
	assert.Equal(t, 5, b.MaxRetries)
	assert.Equal(t, []string{"k1", "k2"}, b.APIKeys)
	assert.Equal(t, 3, a.MaxRetries, "original untouched")

	_, err = a.With(map[string]string{"MAX_RETRIES": "x"})
	assert.EqualError(t, err, `MAX_RETRIES: "x" is not a whole number`)
	_, err = a.With(map[string]string{"NOPE": "1"})
	assert.EqualError(t, err, `NOPE: is not a known setting`)
}

func TestHolder(t *testing.T) {
	var zero Holder
	assert.Nil(t, zero.Load())
	a, b := Default(), Default()
	h := NewHolder(a)
	assert.Same(t, a, h.Load())
	h.Store(b)
	assert.Same(t, b, h.Load())
}

func FuzzLoadDotenv(f *testing.F) {
	for _, s := range []string{
		"", "A=b", "export API_KEYS=[\"a\",\"b\"]", "X='unterminated", "X=\"a\\", "TEST_MODEL=\"a\nb\"\nC=d",
		"MAX_RETRIES=abc", "CUSTOM_HEADERS={\"a\": \"#b\"} # c", "=", "\r\n\r\n", "A=${B:-c}${", "\"\"=x",
		"TTS_SPEED=\"\\", "PROXIES=http://[::1", "THINKING_BUDGET_MAP={'a': 1}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Load(nil, data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err.Error())
			}
			return
		}
		if c == nil || c.Location == nil {
			t.Fatal("nil config or location without an error")
		}
		// Whatever loads, Env gives back.
		back, _, err := Load(envOf(c.Env()), nil)
		if err != nil {
			t.Fatalf("reload of Env failed: %v", err)
		}
		if d := cmp.Diff(c, back, cmpLocation); d != "" {
			t.Fatalf("Env round trip differs:\n%s", d)
		}
	})
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", "a,b", `["a","b"]`, `[`, `[1]`, " , ,", "a\nb", `["a\u0000"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseList(s)
		if err != nil {
			return
		}
		for _, it := range l {
			if it == "" || strings.TrimSpace(it) != it {
				t.Fatalf("untrimmed or empty entry %q from %q", it, s)
			}
		}
		// A list of valid UTF-8 survives its JSON form.
		if !utf8.ValidString(s) {
			return
		}
		back, err := ParseList(formatList(l))
		require.NoError(t, err)
		require.Equal(t, l, back)
	})
}
