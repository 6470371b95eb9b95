package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"unicode/utf8"
)

// UpstreamEventError is returned by StreamTranslator.Event when an upstream
// event is a Google error ({"error": {...}}) rather than an answer.
type UpstreamEventError struct {
	// Status is the error's HTTP code (500 when it gave none).
	Status int
	// Body is the event's JSON.
	Body []byte
}

// Error implements error.
func (e *UpstreamEventError) Error() string {
	return "upstream error in stream (" + strconv.Itoa(e.Status) + "): " + string(e.Body)
}

// StreamTranslator turns the events of a Gemini streamGenerateContent
// (?alt=sse) answer into chat.completion.chunk payloads. It is not safe for
// concurrent use; make one per response.
type StreamTranslator struct {
	// IncludeUsage makes Finish add a usage chunk with "choices": []
	// (stream_options.include_usage).
	IncludeUsage bool

	opts    Options
	prefix  []byte // {"id":…,"object":…,"created":…,"model":…,"choices":[
	choices []choiceState
	usage   *gUsage
	blocked bool
	out     [][]byte
}

type choiceState struct {
	index   int
	started bool
	calls   int
	finish  string
	// logprobs is the JSON of this event's token log probabilities, put on
	// the choice's text chunk of the same event.
	logprobs []byte
}

// NewStreamTranslator returns a translator whose chunks carry id, model
// and created. opts may be nil.
func NewStreamTranslator(id, model string, created int64, opts *Options) *StreamTranslator {
	t := &StreamTranslator{}
	if opts != nil {
		t.opts = *opts
	}
	p := make([]byte, 0, 96+len(id)+len(model))
	p = append(p, `{"id":`...)
	p = appendJSONString(p, id)
	p = append(p, `,"object":"chat.completion.chunk","created":`...)
	p = strconv.AppendInt(p, created, 10)
	p = append(p, `,"model":`...)
	p = appendJSONString(p, model)
	p = append(p, `,"choices":[`...)
	t.prefix = p
	return t
}

func (t *StreamTranslator) choice(index int) *choiceState {
	for i := range t.choices {
		if t.choices[i].index == index {
			return &t.choices[i]
		}
	}
	t.choices = append(t.choices, choiceState{index: index})
	return &t.choices[len(t.choices)-1]
}

type partKind uint8

const (
	kindNone partKind = iota
	kindText
	kindReasoning
	kindCalls
)

// streamEvent is the part of an upstream event the translator reads.
type streamEvent struct {
	gResponse
	Error json.RawMessage `json:"error"`
}

// Event translates the JSON payload of one upstream event into zero or
// more chunk payloads (without "data: " framing). The returned slices are
// fresh and may be kept.
func (t *StreamTranslator) Event(data []byte) ([][]byte, error) {
	var ev streamEvent
	if err := decodeStreamEvent(data, &ev); err != nil {
		return nil, errors.New("openai: decoding an upstream stream event: " + err.Error())
	}
	if len(ev.Error) > 0 && string(ev.Error) != "null" {
		var st struct {
			Code int `json:"code"`
		}
		json.Unmarshal(ev.Error, &st)
		if st.Code == 0 {
			st.Code = 500
		}
		return nil, &UpstreamEventError{Status: st.Code, Body: append([]byte(nil), data...)}
	}
	if ev.UsageMetadata != nil {
		t.usage = ev.UsageMetadata
	}
	if ev.PromptFeedback != nil && ev.PromptFeedback.BlockReason != "" {
		t.blocked = true
	}
	t.out = nil
	for _, c := range ev.Candidates {
		if c == nil {
			continue
		}
		st := t.choice(c.Index)
		if c.FinishReason != "" {
			st.finish = c.FinishReason
		}
		if c.Content == nil {
			continue
		}
		st.logprobs = nil
		if lp := logprobsFrom(c.LogprobsResult); lp != nil {
			st.logprobs, _ = json.Marshal(lp)
		}
		kind := kindNone
		var body []byte
		flush := func() {
			if kind != kindNone {
				if kind != kindCalls {
					body = append(body, '"')
				}
				t.emit(st, kind, body)
			}
			kind, body = kindNone, nil
		}
		for _, p := range c.Content.Parts {
			if p == nil {
				continue
			}
			k := kindText
			switch {
			case p.FunctionCall != nil:
				k = kindCalls
			case p.Thought:
				if !t.opts.ShowThinking || p.Text == "" {
					continue
				}
				k = kindReasoning
			case p.Text == "" && p.InlineData == nil && p.ExecutableCode == nil && p.CodeExecutionResult == nil:
				continue
			}
			if k != kind {
				flush()
				kind = k
				if k != kindCalls {
					body = append(body, '"')
				}
			}
			switch k {
			case kindCalls:
				if len(body) > 0 {
					body = append(body, ',')
				}
				body = t.appendCall(body, st, p)
			case kindReasoning:
				body = appendJSONStringBody(body, p.Text)
			default:
				if p.Text != "" && p.InlineData == nil && p.ExecutableCode == nil && p.CodeExecutionResult == nil {
					body = appendJSONStringBody(body, p.Text)
				} else {
					var sb stringsBuilder
					appendPartText(&sb.Builder, p)
					body = appendJSONStringBody(body, sb.String())
				}
			}
		}
		flush()
	}
	return t.out, nil
}

func (t *StreamTranslator) appendCall(b []byte, st *choiceState, p *gPart) []byte {
	tc := toolCallFrom(p, st.calls, true)
	st.calls++
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(*tc.Index), 10)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, tc.ID)
	b = append(b, `,"type":"function","function":{"name":`...)
	b = appendJSONString(b, tc.Function.Name)
	b = append(b, `,"arguments":`...)
	var compact bytes.Buffer
	if json.Compact(&compact, []byte(tc.Function.Arguments)) == nil {
		b = appendJSONString(b, compact.String())
	} else {
		b = appendJSONString(b, tc.Function.Arguments)
	}
	return append(b, "}}"...)
}

// emit writes one chunk for choice st. body is the delta member's value
// (a quoted string, or tool-call objects for kindCalls).
func (t *StreamTranslator) emit(st *choiceState, kind partKind, body []byte) {
	c := make([]byte, 0, len(t.prefix)+len(body)+96)
	c = append(c, t.prefix...)
	c = append(c, `{"index":`...)
	c = strconv.AppendInt(c, int64(st.index), 10)
	c = append(c, `,"delta":{`...)
	if !st.started {
		c = append(c, `"role":"assistant",`...)
		st.started = true
	}
	switch kind {
	case kindText:
		c = append(c, `"content":`...)
		c = append(c, body...)
	case kindReasoning:
		c = append(c, `"reasoning_content":`...)
		c = append(c, body...)
	case kindCalls:
		c = append(c, `"tool_calls":[`...)
		c = append(c, body...)
		c = append(c, ']')
	}
	c = append(c, `},"logprobs":`...)
	if kind == kindText && st.logprobs != nil {
		c = append(c, st.logprobs...)
		st.logprobs = nil
	} else {
		c = append(c, "null"...)
	}
	c = append(c, `,"finish_reason":null}]}`...)
	t.out = append(t.out, c)
}

// Finish returns the closing chunks: one per choice with its
// finish_reason (tool_calls when the choice made calls, content_filter for
// a blocked prompt), then, with IncludeUsage, the usage chunk.
func (t *StreamTranslator) Finish() [][]byte {
	var out [][]byte
	if len(t.choices) == 0 {
		t.choices = append(t.choices, choiceState{})
	}
	sort.Slice(t.choices, func(i, j int) bool { return t.choices[i].index < t.choices[j].index })
	for i := range t.choices {
		st := &t.choices[i]
		reason := FinishReason(st.finish, st.calls > 0)
		if t.blocked && st.finish == "" {
			reason = "content_filter"
		}
		c := append([]byte(nil), t.prefix...)
		c = append(c, `{"index":`...)
		c = strconv.AppendInt(c, int64(st.index), 10)
		c = append(c, `,"delta":{`...)
		if !st.started {
			c = append(c, `"role":"assistant","content":""`...)
			st.started = true
		}
		c = append(c, `},"logprobs":null,"finish_reason":"`...)
		c = append(c, reason...)
		c = append(c, `"}]}`...)
		out = append(out, c)
	}
	if t.IncludeUsage {
		u := usageFrom(t.usage)
		if u == nil {
			u = &Usage{PromptTokensDetails: &PromptTokensDetails{}, CompletionTokensDetails: &CompletionTokensDetails{}}
		}
		ub, _ := json.Marshal(u)
		c := append([]byte(nil), t.prefix...)
		c = append(c, `],"usage":`...)
		c = append(c, ub...)
		c = append(c, '}')
		out = append(out, c)
	}
	return out
}

// Usage returns the usage of the last upstream event that had some, in
// OpenAI form, or nil.
func (t *StreamTranslator) Usage() *Usage { return usageFrom(t.usage) }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONStringBody(b, s)
	return append(b, '"')
}

// appendJSONStringBody appends s escaped for a JSON string, without
// quotes. Invalid UTF-8 becomes U+FFFD; U+2028 and U+2029 are escaped.
func appendJSONStringBody(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}
