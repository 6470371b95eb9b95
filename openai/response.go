package openai

import (
	"errors"
	"strings"
	"time"
)

// ChatCompletion is a chat.completion answer.
type ChatCompletion struct {
	// ID is "chatcmpl-" + Gemini's responseId (or a random id).
	ID string `json:"id"`
	// Object is "chat.completion".
	Object string `json:"object"`
	// Created is the Unix time of the answer.
	Created int64 `json:"created"`
	// Model is the model name the client asked for.
	Model string `json:"model"`
	// Choices holds one choice per Gemini candidate.
	Choices []Choice `json:"choices"`
	// Usage counts tokens.
	Usage *Usage `json:"usage,omitempty"`
	// SystemFingerprint is Gemini's modelVersion.
	SystemFingerprint string `json:"system_fingerprint,omitempty"`
}

// Choice is one answer of a chat.completion.
type Choice struct {
	// Index is the candidate's index.
	Index int `json:"index"`
	// Message is the answer.
	Message ResponseMessage `json:"message"`
	// FinishReason is stop, length, tool_calls or content_filter.
	FinishReason string `json:"finish_reason"`
	// Logprobs holds token log probabilities when asked for; else null.
	Logprobs *Logprobs `json:"logprobs"`
}

// ResponseMessage is an assistant message in an answer.
type ResponseMessage struct {
	// Role is "assistant".
	Role string `json:"role"`
	// Content is the text of all text parts, joined; null when the answer
	// is only tool calls.
	Content *string `json:"content"`
	// ReasoningContent holds thought summaries (Options.ShowThinking).
	ReasoningContent string `json:"reasoning_content,omitempty"`
	// ToolCalls are the function calls.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// Refusal is always null.
	Refusal *string `json:"refusal"`
}

// Logprobs is a choice's token log probabilities.
type Logprobs struct {
	// Content has one entry per output token.
	Content []TokenLogprob `json:"content"`
}

// TokenLogprob is one token's log probability and its alternatives.
type TokenLogprob struct {
	// Token is the token's text.
	Token string `json:"token"`
	// Logprob is its log probability.
	Logprob float64 `json:"logprob"`
	// Bytes are the token's UTF-8 bytes.
	Bytes []int `json:"bytes"`
	// TopLogprobs are the most likely tokens at this position.
	TopLogprobs []TokenLogprob `json:"top_logprobs"`
}

// Usage counts tokens in the OpenAI way: completion tokens include
// reasoning (thought) tokens.
type Usage struct {
	// PromptTokens is promptTokenCount + toolUsePromptTokenCount.
	PromptTokens int `json:"prompt_tokens"`
	// CompletionTokens is candidatesTokenCount + thoughtsTokenCount.
	CompletionTokens int `json:"completion_tokens"`
	// TotalTokens is totalTokenCount.
	TotalTokens int `json:"total_tokens"`
	// PromptTokensDetails holds the cached count.
	PromptTokensDetails *PromptTokensDetails `json:"prompt_tokens_details,omitempty"`
	// CompletionTokensDetails holds the reasoning count.
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// PromptTokensDetails splits the prompt count.
type PromptTokensDetails struct {
	// CachedTokens is Gemini's cachedContentTokenCount.
	CachedTokens int `json:"cached_tokens"`
}

// CompletionTokensDetails splits the completion count.
type CompletionTokensDetails struct {
	// ReasoningTokens is Gemini's thoughtsTokenCount.
	ReasoningTokens int `json:"reasoning_tokens"`
}

func usageFrom(u *gUsage) *Usage {
	if u == nil {
		return nil
	}
	out := &Usage{
		PromptTokens:            u.PromptTokenCount + u.ToolUsePromptTokenCount,
		CompletionTokens:        u.CandidatesTokenCount + u.ThoughtsTokenCount,
		TotalTokens:             u.TotalTokenCount,
		PromptTokensDetails:     &PromptTokensDetails{CachedTokens: u.CachedContentTokenCount},
		CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: u.ThoughtsTokenCount},
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}

// FinishReason maps a Gemini finishReason to OpenAI's: STOP → stop,
// MAX_TOKENS → length, SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT,
// SPII and IMAGE_* → content_filter; anything else → stop. toolCalls
// turns stop into tool_calls.
func FinishReason(gemini string, toolCalls bool) string {
	switch gemini {
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE":
		return "content_filter"
	}
	if strings.HasPrefix(gemini, "IMAGE_") {
		return "content_filter"
	}
	if toolCalls {
		return "tool_calls"
	}
	return "stop"
}

// FromGemini translates a Gemini generateContent answer into a
// chat.completion for model (the name the client asked for). Each
// candidate becomes a choice: text parts joined into content, thought
// parts into reasoning_content (only with opts.ShowThinking), function
// calls into tool_calls (ids as in the package documentation), inline
// images into Markdown data-URL images, code execution into fenced
// blocks. A prompt blocked by promptFeedback gives one choice with empty
// content and finish_reason content_filter, as OpenAI does for filtered
// output.
func FromGemini(body []byte, model string, opts *Options) (*ChatCompletion, error) {
	if opts == nil {
		opts = &Options{}
	}
	var g gResponse
	if err := decodeGResponse(body, &g); err != nil {
		return nil, errors.New("openai: decoding the Gemini answer: " + err.Error())
	}
	out := &ChatCompletion{
		ID:                completionID(g.ResponseID),
		Object:            "chat.completion",
		Created:           time.Now().Unix(),
		Model:             model,
		Choices:           make([]Choice, 0, max(len(g.Candidates), 1)),
		Usage:             usageFrom(g.UsageMetadata),
		SystemFingerprint: g.ModelVersion,
	}
	if len(g.Candidates) == 0 {
		empty := ""
		reason := "stop"
		if g.PromptFeedback != nil && g.PromptFeedback.BlockReason != "" {
			reason = "content_filter"
		}
		out.Choices = append(out.Choices, Choice{Message: ResponseMessage{Role: "assistant", Content: &empty}, FinishReason: reason})
		return out, nil
	}
	for _, c := range g.Candidates {
		if c == nil {
			continue
		}
		var text, reasoning strings.Builder
		var calls []ToolCall
		if c.Content != nil {
			for _, p := range c.Content.Parts {
				if p == nil {
					continue
				}
				switch {
				case p.FunctionCall != nil:
					calls = append(calls, toolCallFrom(p, len(calls), false))
				case p.Thought:
					if opts.ShowThinking {
						reasoning.WriteString(p.Text)
					}
				default:
					appendPartText(&text, p)
				}
			}
		}
		ch := Choice{Index: c.Index, FinishReason: FinishReason(c.FinishReason, len(calls) > 0),
			Message: ResponseMessage{Role: "assistant", ReasoningContent: reasoning.String(), ToolCalls: calls}}
		if s := text.String(); s != "" || len(calls) == 0 {
			ch.Message.Content = &s
		}
		ch.Logprobs = logprobsFrom(c.LogprobsResult)
		out.Choices = append(out.Choices, ch)
	}
	return out, nil
}

// appendPartText writes a non-thought, non-call part as text.
func appendPartText(b *strings.Builder, p *gPart) {
	switch {
	case p.InlineData != nil:
		b.WriteString("\n\n![image](data:")
		b.WriteString(p.InlineData.MimeType)
		b.WriteString(";base64,")
		b.WriteString(p.InlineData.Data)
		b.WriteString(")\n\n")
	case p.ExecutableCode != nil:
		lang := strings.ToLower(p.ExecutableCode.Language)
		if lang == "" || lang == "language_unspecified" {
			lang = "python"
		}
		b.WriteString("\n```" + lang + "\n" + p.ExecutableCode.Code + "\n```\n")
	case p.CodeExecutionResult != nil:
		b.WriteString("\n```\n" + p.CodeExecutionResult.Output + "\n```\n")
	default:
		b.WriteString(p.Text)
	}
}

func toolCallFrom(p *gPart, index int, withIndex bool) ToolCall {
	args := string(p.FunctionCall.Args)
	if args == "" || args == "null" {
		args = "{}"
	}
	tc := ToolCall{ID: EncodeToolCallID(p.FunctionCall.ID, p.ThoughtSignature), Type: "function",
		Function: FunctionCall{Name: p.FunctionCall.Name, Arguments: args}}
	if withIndex {
		tc.Index = &index
	}
	return tc
}

func logprobsFrom(l *gLogprobs) *Logprobs {
	if l == nil || len(l.ChosenCandidates) == 0 {
		return nil
	}
	out := &Logprobs{Content: make([]TokenLogprob, len(l.ChosenCandidates))}
	for i, c := range l.ChosenCandidates {
		t := TokenLogprob{Token: c.Token, Logprob: c.LogProbability, Bytes: tokenBytes(c.Token), TopLogprobs: []TokenLogprob{}}
		if i < len(l.TopCandidates) {
			for _, alt := range l.TopCandidates[i].Candidates {
				t.TopLogprobs = append(t.TopLogprobs, TokenLogprob{Token: alt.Token, Logprob: alt.LogProbability, Bytes: tokenBytes(alt.Token)})
			}
		}
		out.Content[i] = t
	}
	return out
}

func tokenBytes(s string) []int {
	b := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		b[i] = int(s[i])
	}
	return b
}

func completionID(responseID string) string {
	if responseID != "" && isAlnum(responseID) {
		return "chatcmpl-" + responseID
	}
	return "chatcmpl-" + randomAlnum(29)
}

type stringsBuilder struct{ strings.Builder }
