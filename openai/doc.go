// Package openai translates the OpenAI API (chat completions, embeddings,
// models) onto the Gemini API and serves it through the gateway's key
// pool.
//
// The package has two layers:
//
//   - Translators, usable alone: [ParseChatRequest] and [ToGemini] turn an
//     OpenAI chat request into a Gemini generateContent body;
//     [FromGemini] turns a Gemini answer into a chat.completion;
//     [StreamTranslator] turns Gemini stream events into
//     chat.completion.chunk payloads; [ParseEmbeddingRequest],
//     [EmbeddingToGemini] and [EmbeddingFromGemini] do the same for
//     embeddings. They do no I/O except through the injectable image
//     fetcher ([Options.FetchImage]).
//   - [Handler], an http.Handler serving {prefix}/chat/completions,
//     {prefix}/embeddings, {prefix}/models and {prefix}/models/{id} under
//     any prefix (/v1, /hf/v1, /openai/v1 …) on top of a
//     balancer.Pipeline, exactly like the native gemini.Handler.
//
// # Translation rules
//
// Nothing is sent upstream that the client did not ask for: no default
// temperature, top_p or top_k. The only additions are the operator's
// SafetySettings, thinking settings derived from reasoning_effort, the
// THINKING_BUDGET_MAP and the "-non-thinking" suffix, and includeThoughts
// when ShowThinking is on and the model thinks.
//
// Tool schemas are sent as Gemini's OpenAPI-subset "parameters" after
// sanitising (references inlined, unsupported keywords removed, type arrays
// turned into type+nullable, non-string enums moved to the description,
// unsupported string formats dropped). A schema that cannot be expressed in
// that subset without losing meaning (a free-form object, a recursive
// reference) is sent as "parametersJsonSchema" instead, reduced to the JSON
// Schema keywords Gemini honours. Structured output (response_format
// json_schema) always uses "responseJsonSchema", likewise reduced.
//
// # Tool call ids and thought signatures
//
// Gemini 3 requires the thoughtSignature it attached to a function call to
// come back with that call in the next request. OpenAI clients only keep
// the tool call id, so the signature travels inside the id:
//
//	call_<core>[_<base64url(thoughtSignature)>]
//
// where core is "g" + Gemini's own function-call id when it sent one (so
// functionResponse ids match), else "r" + 20 random alphanumerics. Only the
// first call of a step carries a signature, so only that id is long. The
// encoding is self-contained: it survives restarts and works across
// gateway instances. Ids a client made up are accepted; no signature is
// then sent.
//
// # Streams
//
// Every upstream event becomes zero or more chunks immediately (nothing is
// buffered): each run of text parts, thought parts (as reasoning_content)
// or function calls is one chunk, in upstream order, all with one stable
// id; the first chunk of each choice carries role "assistant". Finish adds
// the finish_reason chunk and, with stream_options.include_usage, a usage
// chunk with "choices": []. If the upstream fails after output began the
// handler writes one "data: {"error": …}" event and ends the stream
// without [DONE] (the official SDKs raise it as an error); nothing is
// retried, so no text is duplicated.
package openai
