// Package geminitest is a faithful, in-process simulation of the Google
// Gemini REST API (the Generative Language API at
// generativelanguage.googleapis.com), in the spirit of net/http/httptest.
//
// It exists so that code talking to Gemini — the gateway, its key pool,
// the official SDKs, load benchmarks, a demo — can be exercised without the
// network, with every byte shaped like Google's: lowerCamelCase JSON,
// pretty-printed unary bodies, SSE events framed as
// "data: <one-line JSON>\r\n\r\n", the incremental JSON-array stream of
// streamGenerateContent without ?alt=sse, google.rpc.Status error bodies
// with ErrorInfo, RetryInfo, QuotaFailure, Help and BadRequest details, and
// Google's response headers.
//
// # Starting a server
//
//	s := geminitest.NewServer(geminitest.Options{})
//	defer s.Close()
//	s.SetKey("good", geminitest.Behavior{Kind: geminitest.Valid})
//	s.SetKey("limited", geminitest.Behavior{Kind: geminitest.Quota, RetryDelay: 26 * time.Second})
//	// point a client at s.URL, e.g. genai.HTTPOptions{BaseURL: s.URL}
//
// Keys never given to SetKey are rejected with 400 API_KEY_INVALID unless
// Options.AcceptAnyKey is set. A key is read from the x-goog-api-key header,
// else from ?key=; no key gives 403 PERMISSION_DENIED and a Bearer token
// alone gives 401 UNAUTHENTICATED, as on the real API.
//
// # Routes
//
// Under both /v1beta and /v1:
//
//	GET  /{v}/models                                (pageSize ≤ 1000, default 50; opaque nextPageToken)
//	GET  /{v}/models/{id}
//	POST /{v}/models/{id}:generateContent
//	POST /{v}/models/{id}:streamGenerateContent     (?alt=sse for SSE, else a JSON array)
//	POST /{v}/models/{id}:countTokens               ({"contents"} or {"generateContentRequest"})
//	POST /{v}/models/{id}:embedContent
//	POST /{v}/models/{id}:batchEmbedContents
//	POST /v1beta/models/{id}:predict                (Imagen)
//
// Other paths get Google's HTML 404 page. An unknown model, or a model
// that does not support the method, gets 404 NOT_FOUND "models/X is not
// found for API version V, or is not supported for M. ...". Request bodies
// accept camelCase and snake_case names; unknown names get Google's 400
// "Invalid JSON payload received. Unknown name ..." with BadRequest field
// violations (v1 knows only the fields of the published v1 proto).
// Malformed JSON gets 400 "Invalid JSON payload received. Unexpected token.".
//
// # Built-in answers
//
// Without an Options.Responder, answers are deterministic functions of the
// request:
//
//   - Text: "Simulated answer from MODEL to: <first 40 characters of the
//     last user text>", padded with filler words up to Options.StreamEvents
//     words so that a stream is split into exactly that many events. Every
//     event is a whole GenerateContentResponse holding only the new text,
//     repeating usageMetadata (running candidatesTokenCount), modelVersion
//     and the same responseId; finishReason is on the last event only.
//   - Thinking models report thoughtsTokenCount (24, or a smaller
//     thinkingBudget; none with budget 0); with includeThoughts a
//     {"text": "**Thinking...**", "thought": true} part comes first.
//   - Function declarations (mode not NONE) and a last turn that is not a
//     functionResponse: a functionCall with arguments built from the
//     parameters schema, the declaration named in the prompt or the first
//     one, or up to three when the prompt says "parallel"; the first call
//     carries a thoughtSignature, finishMessage is "Model generated
//     function call(s).". After a functionResponse the text quotes it.
//   - responseMimeType application/json: JSON satisfying the response
//     schema roughly, else {"answer": "..."}.
//   - candidateCount n: n candidates. maxOutputTokens below the answer's
//     length: truncated text, finishReason MAX_TOKENS.
//   - The word BLOCKME in the prompt: HTTP 200 with promptFeedback
//     blockReason SAFETY and no candidates.
//   - TTS models answer raw 24 kHz PCM audio; "-image" models add a PNG.
//   - Tokens: one per whitespace-separated word; 258 per image.
//   - Embeddings: deterministic bag-of-words vectors (texts sharing words
//     are close), 768 values by default; outputDimensionality truncates the
//     full vector (3072 values for gemini-embedding-001, of unit length).
//
// # Behaviours and observation
//
// SetKey gives a key a Behavior: Invalid, Suspended, PermissionDenied,
// Quota, Flaky, Slow or BreakStream, optionally only for some models.
// Requests records every request byte for byte; Calls, Connections and
// Active count per-key calls, accepted TCP connections and in-flight
// handlers.
package geminitest
