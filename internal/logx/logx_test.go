package logx

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSecretsAreMasked(t *testing.T) {
	key := "AIzaSyA1234567890abcdefghijklmnopqrstuv"
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		lv := new(slog.LevelVar)
		l := New(&buf, lv, json)
		l.Info("calling upstream with "+key, "key", key, "err", errors.New("bad key "+key), "n", 3)
		l.Debug("hidden at INFO")
		out := buf.String()
		assert.NotContains(t, out, key)
		assert.Contains(t, out, "AIza…stuv")
		assert.NotContains(t, out, "hidden at INFO")
		lv.Set(slog.LevelDebug)
		l.Debug("now visible")
		assert.Contains(t, buf.String(), "now visible", "the level follows the LevelVar")
	}
}
