package console_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProxyCheckButton checks that /config carries the proxies tab's
// check button, labelled in each language, and live regions for results.
func TestProxyCheckButton(t *testing.T) {
	h := newHandler()
	labels := map[string]string{"en": "Check proxies", "zh": "检测代理"}
	for lang, label := range labels {
		w := serve(h, "GET", "/config", "Cookie", session+"; gb_lang="+lang)
		require.Equal(t, 200, w.Code)
		body := w.Body.String()
		assert.Regexp(t, regexp.MustCompile(`<button type="button" class="btn" id="proxy-check-all" aria-describedby="proxycheck-help">`+label+`</button>`), body, lang)
		assert.Contains(t, body, `id="proxycheck-help"`, lang)
		assert.Regexp(t, `id="proxycheck-summary"[^>]*aria-live="polite"`, body, lang)
		assert.Regexp(t, `id="proxycheck-results"[^>]*aria-live="polite"`, body, lang)
	}
}
