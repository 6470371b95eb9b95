package openai

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ImageFetcher downloads the media an http(s) URL in a message points to
// and returns its MIME type and bytes.
type ImageFetcher func(ctx context.Context, url string) (mimeType string, data []byte, err error)

// FetchOptions configure NewImageFetcher.
type FetchOptions struct {
	// Timeout bounds one download, redirects included. Zero means 15 s.
	Timeout time.Duration
	// MaxBytes caps the downloaded size. Zero means 20 MiB.
	MaxBytes int64
	// AllowPrivate permits loopback, private (RFC 1918, fc00::/7),
	// link-local, CGNAT and unspecified addresses. Off by default, so a
	// client cannot make the gateway reach into its own network.
	AllowPrivate bool
}

// ErrForbiddenAddress is returned (wrapped) when a URL resolves to an
// address FetchOptions do not allow.
var ErrForbiddenAddress = errors.New("address not allowed")

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func forbidden(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsUnspecified() || a.IsMulticast() || cgnat.Contains(a)
}

// NewImageFetcher returns an ImageFetcher that downloads http and https
// URLs with a timeout and size limit. Unless AllowPrivate is set, the
// dialer refuses (after DNS resolution, for every redirect too)
// connections to loopback, private, link-local, CGNAT, multicast and
// unspecified addresses. Environment proxies are not used, since they
// would bypass that check. The MIME type is the answer's Content-Type, or
// sniffed when that is missing or generic.
func NewImageFetcher(o FetchOptions) ImageFetcher {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 20 << 20
	}
	d := &net.Dialer{Timeout: o.Timeout}
	if !o.AllowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
			}
			if forbidden(ap.Addr()) {
				return fmt.Errorf("%w: %s is a private or local address", ErrForbiddenAddress, ap.Addr())
			}
			return nil
		}
	}
	client := &http.Client{
		Timeout: o.Timeout,
		Transport: &http.Transport{
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   o.Timeout,
			ResponseHeaderTimeout: o.Timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return errors.New("redirect to a non-http URL")
			}
			return nil
		},
	}
	return func(ctx context.Context, raw string) (string, []byte, error) {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", nil, errors.New("not an http(s) URL")
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", nil, err
		}
		req.Header.Set("User-Agent", "gb-gateway/1 (image fetch)")
		resp, err := client.Do(req)
		if err != nil {
			return "", nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", nil, fmt.Errorf("the server answered %s", resp.Status)
		}
		if resp.ContentLength > o.MaxBytes {
			return "", nil, fmt.Errorf("the file is larger than %d bytes", o.MaxBytes)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, o.MaxBytes+1))
		if err != nil {
			return "", nil, err
		}
		if int64(len(data)) > o.MaxBytes {
			return "", nil, fmt.Errorf("the file is larger than %d bytes", o.MaxBytes)
		}
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if mt == "" || mt == "application/octet-stream" || mt == "binary/octet-stream" {
			mt, _, _ = mime.ParseMediaType(http.DetectContentType(data))
		}
		return mt, data, nil
	}
}

// parseDataURL splits "data:<mime>[;base64],<data>" into a MIME type and
// standard base64 data.
func parseDataURL(s string) (mimeType, b64 string, err error) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return "", "", errors.New("not a data URL")
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return "", "", errors.New("malformed data URL: no comma")
	}
	isB64 := false
	params := strings.Split(meta, ";")
	mimeType = strings.ToLower(strings.TrimSpace(params[0]))
	for _, p := range params[1:] {
		if strings.EqualFold(strings.TrimSpace(p), "base64") {
			isB64 = true
		}
	}
	if mimeType == "" {
		mimeType = "text/plain"
	}
	mimeType = normalizeMime(mimeType)
	if !isB64 {
		dec, err := url.PathUnescape(data)
		if err != nil {
			return "", "", errors.New("malformed data URL: bad percent-encoding")
		}
		return mimeType, base64.StdEncoding.EncodeToString([]byte(dec)), nil
	}
	b64, err = cleanBase64(data)
	if err != nil {
		return "", "", errors.New("malformed data URL: invalid base64 data")
	}
	return mimeType, b64, nil
}

// cleanBase64 validates base64 (standard or URL alphabet, padded or not,
// with whitespace) and returns it as padded standard base64, without
// copying when it already is.
func cleanBase64(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty")
	}
	if len(s)%4 == 0 && !strings.ContainsAny(s, "-_ \r\n\t") {
		if _, err := base64.StdEncoding.DecodeString(s); err == nil {
			return s, nil
		}
	}
	t := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\r', '\n', '\t':
			return -1
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, s)
	t = strings.TrimRight(t, "=")
	raw, err := base64.RawStdEncoding.DecodeString(t)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

func normalizeMime(m string) string {
	switch m {
	case "image/jpg":
		return "image/jpeg"
	case "audio/mp3", "audio/mpeg3":
		return "audio/mp3"
	}
	return m
}

func audioMime(format string) string {
	switch f := strings.ToLower(strings.TrimSpace(format)); f {
	case "mp3", "mpeg":
		return "audio/mp3"
	case "wav", "wave", "x-wav":
		return "audio/wav"
	case "":
		return "audio/wav"
	default:
		if strings.Contains(f, "/") {
			return f
		}
		return "audio/" + f
	}
}

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
