package geminitest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiError is a google.rpc.Status as the Gemini API prints it inside
// {"error": ...}. Details are typed structs whose first field is "@type".
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []any  `json:"details,omitempty"`
}

type errorBody struct {
	Error *apiError `json:"error"`
}

const (
	typeErrorInfo        = "type.googleapis.com/google.rpc.ErrorInfo"
	typeRetryInfo        = "type.googleapis.com/google.rpc.RetryInfo"
	typeQuotaFailure     = "type.googleapis.com/google.rpc.QuotaFailure"
	typeHelp             = "type.googleapis.com/google.rpc.Help"
	typeBadRequest       = "type.googleapis.com/google.rpc.BadRequest"
	typeLocalizedMessage = "type.googleapis.com/google.rpc.LocalizedMessage"
	serviceName          = "generativelanguage.googleapis.com"
)

type errorInfo struct {
	Type     string            `json:"@type"`
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

type localizedMessage struct {
	Type    string `json:"@type"`
	Locale  string `json:"locale"`
	Message string `json:"message"`
}

type retryInfo struct {
	Type       string `json:"@type"`
	RetryDelay string `json:"retryDelay"`
}

type quotaViolation struct {
	QuotaMetric     string            `json:"quotaMetric,omitempty"`
	QuotaID         string            `json:"quotaId,omitempty"`
	QuotaDimensions map[string]string `json:"quotaDimensions,omitempty"`
	QuotaValue      string            `json:"quotaValue,omitempty"`
}

type quotaFailure struct {
	Type       string           `json:"@type"`
	Violations []quotaViolation `json:"violations"`
}

type helpLink struct {
	Description string `json:"description"`
	URL         string `json:"url"`
}

type help struct {
	Type  string     `json:"@type"`
	Links []helpLink `json:"links"`
}

type fieldViolation struct {
	Field       string `json:"field,omitempty"`
	Description string `json:"description"`
}

type badRequest struct {
	Type            string           `json:"@type"`
	FieldViolations []fieldViolation `json:"fieldViolations"`
}

// canonical maps an HTTP status to its google.rpc.Code name and the
// generic message Google uses for it.
func canonical(code int) (status, message string) {
	switch code {
	case 400:
		return "INVALID_ARGUMENT", "Request contains an invalid argument."
	case 401:
		return "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	case 403:
		return "PERMISSION_DENIED", "The caller does not have permission"
	case 404:
		return "NOT_FOUND", "Requested entity was not found."
	case 409:
		return "ABORTED", "The operation was aborted."
	case 429:
		return "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."
	case 499:
		return "CANCELLED", "The operation was cancelled."
	case 500:
		return "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
	case 501:
		return "UNIMPLEMENTED", "Operation is not implemented, or supported, or enabled."
	case 503:
		return "UNAVAILABLE", "The model is overloaded. Please try again later."
	case 504:
		return "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."
	}
	if code >= 500 {
		return "UNKNOWN", http.StatusText(code)
	}
	return "FAILED_PRECONDITION", http.StatusText(code)
}

func statusError(code int) *apiError {
	st, msg := canonical(code)
	return &apiError{Code: code, Message: msg, Status: st}
}

func errInvalidArgument(msg string) *apiError {
	return &apiError{Code: 400, Message: msg, Status: "INVALID_ARGUMENT"}
}

// errBadRequest is a 400 with one BadRequest field violation per message,
// the messages joined by "\n" as Google does.
func errBadRequest(vs []fieldViolation) *apiError {
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.Description
	}
	return &apiError{Code: 400, Message: strings.Join(msgs, "\n"), Status: "INVALID_ARGUMENT",
		Details: []any{badRequest{Type: typeBadRequest, FieldViolations: vs}}}
}

func errKeyInvalid() *apiError {
	const msg = "API key not valid. Please pass a valid API key."
	return &apiError{Code: 400, Message: msg, Status: "INVALID_ARGUMENT", Details: []any{
		errorInfo{Type: typeErrorInfo, Reason: "API_KEY_INVALID", Domain: "googleapis.com",
			Metadata: map[string]string{"service": serviceName}},
		localizedMessage{Type: typeLocalizedMessage, Locale: "en-US", Message: msg},
	}}
}

func errMissingKey() *apiError {
	return &apiError{Code: 403, Status: "PERMISSION_DENIED",
		Message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."}
}

func errBearer(version, rpc string) *apiError {
	e := statusError(401)
	e.Details = []any{errorInfo{Type: typeErrorInfo, Reason: "ACCESS_TOKEN_TYPE_UNSUPPORTED",
		Metadata: map[string]string{"service": serviceName,
			"method": "google.ai.generativelanguage." + version + "." + rpcService(rpc) + "." + upperFirst(rpc)}}}
	return e
}

func rpcService(rpc string) string {
	switch rpc {
	case "listModels", "getModel":
		return "ModelService"
	case "predict":
		return "PredictionService"
	}
	return "GenerativeService"
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func errSuspended(key string) *apiError {
	return &apiError{Code: 403, Status: "PERMISSION_DENIED",
		Message: fmt.Sprintf("Permission denied: Consumer 'api_key:%s' has been suspended.", key),
		Details: []any{
			errorInfo{Type: typeErrorInfo, Reason: "CONSUMER_SUSPENDED", Domain: "googleapis.com",
				Metadata: map[string]string{"service": serviceName, "consumer": "projects/" + projectNumber(key)}},
			localizedMessage{Type: typeLocalizedMessage, Locale: "en-US",
				Message: fmt.Sprintf("Permission denied: Consumer 'api_key:%s' has been suspended.", key)},
		}}
}

func errModelNotFound(model, version, method string) *apiError {
	return &apiError{Code: 404, Status: "NOT_FOUND",
		Message: fmt.Sprintf("models/%s is not found for API version %s, or is not supported for %s. Call ListModels to see the list of available models and their supported methods.", model, version, method)}
}

// errQuota builds the 429 of an exhausted free-tier quota: QuotaFailure,
// Help and (when delay > 0) RetryInfo, in that order.
func errQuota(model, rpc string, daily bool, delay time.Duration) *apiError {
	metric := serviceName + "/generate_content_free_tier_requests"
	quotaID, limit := "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "10"
	if daily {
		quotaID, limit = "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "20"
	}
	if rpc == "embedContent" || rpc == "batchEmbedContents" {
		metric = serviceName + "/embed_content_free_tier_requests"
		quotaID, limit = "EmbedContentRequestsPerMinutePerUserPerProjectPerModel-FreeTier", "100"
		if daily {
			quotaID, limit = "EmbedContentRequestsPerDayPerUserPerProjectPerModel-FreeTier", "1000"
		}
	}
	msg := "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/rate-limit. \n" +
		"* Quota exceeded for metric: " + metric + ", limit: " + limit + ", model: " + model
	details := []any{
		quotaFailure{Type: typeQuotaFailure, Violations: []quotaViolation{{
			QuotaMetric: metric, QuotaID: quotaID,
			QuotaDimensions: map[string]string{"location": "global", "model": model},
			QuotaValue:      limit,
		}}},
		help{Type: typeHelp, Links: []helpLink{{Description: "Learn more about Gemini API quotas", URL: "https://ai.google.dev/gemini-api/docs/rate-limits"}}},
	}
	if delay > 0 {
		msg += "\nPlease retry in " + strconv.FormatFloat(delay.Seconds(), 'f', -1, 64) + "s."
		details = append(details, retryInfo{Type: typeRetryInfo, RetryDelay: strconv.FormatInt(int64(delay/time.Second), 10) + "s"})
	}
	return &apiError{Code: 429, Message: msg, Status: "RESOURCE_EXHAUSTED", Details: details}
}

// projectNumber derives a stable 12-digit fake project number from a key.
func projectNumber(key string) string {
	h := fnv64(key) % 900000000000
	return strconv.FormatUint(h+100000000000, 10)
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
