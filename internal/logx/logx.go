// Package logx builds the gateway's slog handlers: text or JSON lines in
// which anything that looks like an API key or token is masked, whatever
// the caller passed.
package logx

import (
	"io"
	"log/slog"

	"github.com/geminibalance/gb/internal/redact"
)

// New returns a logger writing to w at the level held by lv. With json
// true it writes JSON lines, else logfmt-like text.
func New(w io.Writer, lv *slog.LevelVar, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: mask}
	if json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// mask redacts secrets in every string attribute, the message included.
func mask(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); len(s) >= 16 {
			if r := redact.Text(s); r != s {
				return slog.String(a.Key, r)
			}
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(a.Key, redact.Text(err.Error()))
		}
	}
	return a
}
