package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/geminibalance/gb/internal/redact"
)

// Error is an invalid setting. Its message is one line naming the variable,
// the offending value (masked for secrets) and what was expected, e.g.
// `MAX_RETRIES: "abc" is not a whole number`.
type Error struct {
	// Name is the environment variable, e.g. "MAX_RETRIES".
	Name string
	// Msg is the message without the name: the shown value and the problem.
	Msg string
	// More lists the names of further invalid settings, if any.
	More []string
}

// Error returns the one-line message.
func (e *Error) Error() string {
	s := e.Name + ": " + e.Msg
	if len(e.More) > 0 {
		s += fmt.Sprintf(" (also invalid: %s)", strings.Join(e.More, ", "))
	}
	return s
}

// Load builds a Config from the environment and the contents of a .env
// file. getenv may be nil (no environment) and dotenv may be nil (no file).
//
// For every setting a non-empty environment value wins, then the .env
// value, then the default. An empty list or map value means the empty list
// or map; an empty scalar value means the default.
//
// The notices report .env lines that were ignored, settings gb accepts but
// does not act on yet (only those set to a non-default value) and the
// AUTH_TOKEN fallback. The error, if any, is an *Error.
func Load(getenv func(string) string, dotenv []byte) (*Config, []Notice, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	file, notices := parseDotenv(dotenv, getenv)
	look := func(name string) (string, bool) {
		if v := getenv(name); v != "" {
			return v, true
		}
		v, ok := file[name]
		return v, ok
	}
	c, unused, err := apply(Default(), look)
	if err != nil {
		return nil, notices, err
	}
	if len(unused) > 0 {
		notices = append(notices, Notice{Text: "accepted but not used yet: " + strings.Join(unused, ", ")})
	}
	return c, notices, nil
}

// With returns a copy of c with the given settings applied (names as in
// the environment, values in environment form) and validated like Load.
// Unknown names are an error. c itself is not modified.
func (c *Config) With(values map[string]string) (*Config, error) {
	for name := range values {
		if lookup(name) == nil {
			if !validKey(name) {
				name = fmt.Sprintf("%q", name)
			}
			return nil, &Error{Name: name, Msg: "is not a known setting"}
		}
	}
	d, _, err := apply(c.Clone(), func(name string) (string, bool) {
		v, ok := values[name]
		return v, ok
	})
	return d, err
}

// apply sets every setting look finds onto c, then checks cross-setting
// rules. It returns the unused names set to non-default values.
func apply(c *Config, look func(string) (string, bool)) (*Config, []string, error) {
	var first *Error
	var more, unused []string
	report := func(e *Error) {
		if first == nil {
			first = e
		} else {
			more = append(more, e.Name)
		}
	}
	for i := range settings {
		s := &settings[i]
		raw, ok := look(s.name)
		if !ok || (raw == "" && !s.v.emptyOK()) {
			continue
		}
		if !utf8.ValidString(raw) {
			report(settingError(s, raw, fail("is not valid UTF-8 text")))
			continue
		}
		if err := s.v.set(c, raw); err != nil {
			report(settingError(s, raw, err))
			continue
		}
		if !s.used && raw != "" && s.v.get(c) != s.v.get(defaultConfig()) {
			unused = append(unused, s.name)
		}
	}
	if first == nil {
		for _, e := range crossCheck(c) {
			report(e)
		}
	}
	if first != nil {
		first.More = more
		return nil, nil, first
	}
	return c, unused, nil
}

// crossCheck validates rules spanning several settings.
func crossCheck(c *Config) []*Error {
	var errs []*Error
	if c.DatabaseType == "mysql" {
		if c.MySQLHost == "" && c.MySQLSocket == "" {
			errs = append(errs, &Error{Name: "MYSQL_HOST", Msg: "is required when DATABASE_TYPE is mysql (set MYSQL_HOST or MYSQL_SOCKET)"})
		}
		if c.MySQLUser == "" {
			errs = append(errs, &Error{Name: "MYSQL_USER", Msg: "is required when DATABASE_TYPE is mysql"})
		}
		if c.MySQLDatabase == "" {
			errs = append(errs, &Error{Name: "MYSQL_DATABASE", Msg: "is required when DATABASE_TYPE is mysql"})
		}
	}
	return errs
}

// settingError builds the one-line error for a bad value of s.
func settingError(s *setting, raw string, err error) *Error {
	var p *problem
	if !errors.As(err, &p) {
		p = &problem{text: "is invalid: " + err.Error()}
	}
	if p.hasItem {
		return &Error{Name: s.name, Msg: "entry " + show(s, p.item) + " " + p.text}
	}
	return &Error{Name: s.name, Msg: show(s, raw) + " " + p.text}
}

var urlPassword = regexp.MustCompile(`(://[^/?#@\s]*?):[^/?#@\s]*@`)

// show quotes a value for an error message: secrets masked, URL
// passwords hidden, anything that looks like a key masked, long values cut.
func show(s *setting, v string) string {
	if s.secret {
		return fmt.Sprintf("%q", redact.Key(v))
	}
	v = urlPassword.ReplaceAllString(v, "$1:xxxxx@")
	v = redact.Text(v)
	const limit = 80
	if utf8.RuneCountInString(v) > limit {
		v = string([]rune(v)[:limit]) + "…"
	}
	return fmt.Sprintf("%q", v)
}
