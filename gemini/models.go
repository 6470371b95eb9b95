package gemini

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/geminibalance/gb/balancer"
)

// Model suffixes understood on every route, as in gemini-balance.
const (
	// SuffixSearch asks for Google Search grounding (SEARCH_MODELS).
	SuffixSearch = "-search"
	// SuffixImage asks for image output (IMAGE_MODELS).
	SuffixImage = "-image"
	// SuffixNonThinking turns thinking off (THINKING_MODELS).
	SuffixNonThinking = "-non-thinking"
)

// ModelName is a client's model name split into the upstream model and
// the gateway feature suffixes it carried.
type ModelName struct {
	// Requested is the name as the client sent it, without "models/".
	Requested string
	// Upstream is the model sent to Google.
	Upstream string
	// Search, Image and NonThinking report the suffixes present.
	Search, Image, NonThinking bool
}

// ParseModel strips "models/" and the suffixes "-search", "-image" and
// "-non-thinking" (in that order, as gemini-balance does; the name
// "-image-generation" is a real model and is kept).
func ParseModel(name string) ModelName {
	name = strings.TrimPrefix(name, "models/")
	m := ModelName{Requested: name, Upstream: name}
	if s, ok := strings.CutSuffix(m.Upstream, SuffixSearch); ok && s != "" {
		m.Upstream, m.Search = s, true
	}
	if s, ok := strings.CutSuffix(m.Upstream, SuffixImage); ok && s != "" {
		m.Upstream, m.Image = s, true
	}
	if s, ok := strings.CutSuffix(m.Upstream, SuffixNonThinking); ok && s != "" {
		m.Upstream, m.NonThinking = s, true
	}
	return m
}

// Model is one entry of the upstream model list.
type Model struct {
	// Name is "models/<id>".
	Name string `json:"name"`
	// DisplayName is Google's short name for the model.
	DisplayName string `json:"displayName,omitempty"`
	// Description is Google's description of the model.
	Description string `json:"description,omitempty"`
	// SupportedGenerationMethods lists the methods the model serves.
	SupportedGenerationMethods []string `json:"supportedGenerationMethods,omitempty"`
	// Raw is the entry exactly as Google sent it, with every field.
	Raw json.RawMessage `json:"-"`
}

// ID returns the model id without "models/".
func (m *Model) ID() string { return strings.TrimPrefix(m.Name, "models/") }

// ModelCache fetches the upstream model list through the pipeline and
// keeps it for TTL, so listing models costs no upstream call per client
// request. Concurrent refreshes are collapsed into one.
type ModelCache struct {
	// Pipeline runs the upstream call against the pool. Required.
	Pipeline *balancer.Pipeline
	// Client makes the upstream call. Required.
	Client *Client
	// TTL is how long a fetched list is served. Zero means ten minutes.
	TTL time.Duration

	mu      sync.Mutex
	models  []Model
	fetched time.Time
	group   singleflight.Group
}

// Models returns the cached list, fetching it when it is older than TTL.
// When a refresh fails and an older list exists, the older list is served.
func (c *ModelCache) Models(ctx context.Context) ([]Model, error) {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	c.mu.Lock()
	models, fetched := c.models, c.fetched
	c.mu.Unlock()
	if models != nil && time.Since(fetched) < ttl {
		return models, nil
	}
	v, err, _ := c.group.Do("list", func() (any, error) {
		return c.fetch(context.WithoutCancel(ctx))
	})
	if err != nil {
		if models != nil {
			return models, nil
		}
		return nil, err
	}
	return v.([]Model), nil
}

// Invalidate drops the cached list.
func (c *ModelCache) Invalidate() {
	c.mu.Lock()
	c.models = nil
	c.mu.Unlock()
}

func (c *ModelCache) fetch(ctx context.Context) ([]Model, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var all []Model
	token := ""
	for page := 0; page < 20; page++ {
		q := url.Values{"pageSize": {"1000"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		res, err := c.Pipeline.Do(ctx, balancer.Call{Kind: "gemini-models", Attempt: func(ctx context.Context, key string) (*http.Response, error) {
			return c.Client.Do(ctx, key, &Request{Method: "GET", Path: "models", Query: q})
		}})
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(res.Response.Body, 32<<20))
		res.Finish(err, balancer.Usage{})
		if err != nil {
			return nil, err
		}
		var list struct {
			Models        []json.RawMessage `json:"models"`
			NextPageToken string            `json:"nextPageToken"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, fmt.Errorf("gemini: decoding the model list: %w", err)
		}
		for _, raw := range list.Models {
			var m Model
			if json.Unmarshal(raw, &m) == nil && m.Name != "" {
				m.Raw = raw
				all = append(all, m)
			}
		}
		if list.NextPageToken == "" {
			break
		}
		token = list.NextPageToken
	}
	if all == nil {
		all = []Model{}
	}
	c.mu.Lock()
	c.models, c.fetched = all, time.Now()
	c.mu.Unlock()
	return all, nil
}

// ModelPolicy is the part of the configuration that shapes model lists and
// decides which names a client may use.
type ModelPolicy struct {
	// Filtered models are hidden and refused (FILTERED_MODELS).
	Filtered []string
	// Search, Image and Thinking models get "-search", "-image" and
	// "-non-thinking" variants (SEARCH_MODELS, IMAGE_MODELS,
	// THINKING_MODELS).
	Search, Image, Thinking []string
}

// Parse splits a client's model name like ParseModel, but takes a suffix
// off only when the model it leaves is listed for that suffix: so a real
// model whose name ends in "-image" (gemini-2.5-flash-image) keeps its
// name unless it is the "-image" variant of a model in IMAGE_MODELS.
func (p *ModelPolicy) Parse(name string) ModelName {
	name = strings.TrimPrefix(name, "models/")
	m := ModelName{Requested: name, Upstream: name}
	if s, ok := strings.CutSuffix(m.Upstream, SuffixSearch); ok && slices.Contains(p.Search, s) {
		m.Upstream, m.Search = s, true
	}
	if s, ok := strings.CutSuffix(m.Upstream, SuffixImage); ok && slices.Contains(p.Image, s) {
		m.Upstream, m.Image = s, true
	}
	if s, ok := strings.CutSuffix(m.Upstream, SuffixNonThinking); ok && slices.Contains(p.Thinking, s) {
		m.Upstream, m.NonThinking = s, true
	}
	return m
}

// Allowed reports whether a client may use m: its upstream model is not
// filtered, and each suffix it carries is enabled for that model.
func (p *ModelPolicy) Allowed(m ModelName) error {
	if slices.Contains(p.Filtered, m.Upstream) || slices.Contains(p.Filtered, m.Requested) {
		return fmt.Errorf("model %q is not supported by this gateway", m.Requested)
	}
	if m.Search && !slices.Contains(p.Search, m.Upstream) {
		return fmt.Errorf("model %q is not supported: %q is not in SEARCH_MODELS", m.Requested, m.Upstream)
	}
	if m.Image && !slices.Contains(p.Image, m.Upstream) {
		return fmt.Errorf("model %q is not supported: %q is not in IMAGE_MODELS", m.Requested, m.Upstream)
	}
	if m.NonThinking && !slices.Contains(p.Thinking, m.Upstream) {
		return fmt.Errorf("model %q is not supported: %q is not in THINKING_MODELS", m.Requested, m.Upstream)
	}
	return nil
}

// Variant is one entry of a model list as the gateway shows it: an
// upstream model, or a derived "-search"/"-image"/"-non-thinking" copy.
type Variant struct {
	// ID is the name clients use, without "models/".
	ID string
	// Base is the upstream model.
	Base *Model
	// Suffix is "" for the base model, else the derived suffix.
	Suffix string
}

// Variants applies the policy to an upstream list: filtered models are
// removed and each remaining base is followed by its derived variants.
func (p *ModelPolicy) Variants(models []Model) []Variant {
	out := make([]Variant, 0, len(models)+len(p.Search)+len(p.Image)+len(p.Thinking))
	for i := range models {
		m := &models[i]
		id := m.ID()
		if slices.Contains(p.Filtered, id) {
			continue
		}
		out = append(out, Variant{ID: id, Base: m})
		if slices.Contains(p.Search, id) {
			out = append(out, Variant{ID: id + SuffixSearch, Base: m, Suffix: SuffixSearch})
		}
		if slices.Contains(p.Image, id) {
			out = append(out, Variant{ID: id + SuffixImage, Base: m, Suffix: SuffixImage})
		}
		if slices.Contains(p.Thinking, id) {
			out = append(out, Variant{ID: id + SuffixNonThinking, Base: m, Suffix: SuffixNonThinking})
		}
	}
	return out
}

// NativeJSON returns the variant as a Gemini model object: the upstream
// object with every field kept, and for derived variants the name,
// displayName and description adjusted.
func (v *Variant) NativeJSON() json.RawMessage {
	if v.Suffix == "" {
		return v.Base.Raw
	}
	var m map[string]any
	if json.Unmarshal(v.Base.Raw, &m) != nil {
		m = map[string]any{}
	}
	label := map[string]string{SuffixSearch: "For Search", SuffixImage: "For Image", SuffixNonThinking: "Non Thinking"}[v.Suffix]
	m["name"] = "models/" + v.ID
	m["displayName"] = strings.TrimSpace(v.Base.DisplayName + " " + label)
	m["description"] = strings.TrimSpace(v.Base.Description + " " + label)
	b, _ := json.Marshal(m)
	return b
}
