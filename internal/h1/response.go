package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strings"
)

// parseHead reads the answer's head from br when it is wholly buffered and
// plainly shaped: "HTTP/1.1 NNN reason", no folded lines, a body framed by
// exactly one Content-Length or by "Transfer-Encoding: chunked" alone, a
// GET or POST request. It then consumes the head and returns the answer
// with its framing (mode bodyLength or bodyChunked, and the length). In
// every other case it consumes nothing and returns ok false, and the
// caller parses with http.ReadResponse, which knows every corner of
// HTTP/1.x; FuzzParseHead checks that both agree wherever this one
// answers.
//
// It exists because the head of every upstream answer is parsed on the hot
// path: one string holds the whole head, header values are slices of it,
// common header names are interned, and the body readers need no further
// allocations or goroutines.
func parseHead(br *bufio.Reader, req *http.Request) (resp *http.Response, mode uint8, length int64, ok bool) {
	if req.Method != http.MethodPost && req.Method != http.MethodGet && req.Method != "" {
		return nil, 0, 0, false
	}
	buf, _ := br.Peek(br.Buffered())
	end := bytes.Index(buf, crlfcrlf)
	if end < 0 {
		return nil, 0, 0, false
	}
	end += len(crlfcrlf)
	raw := buf[:end]
	// Status line: "HTTP/1.1 200 OK\r\n".
	if len(raw) < 14 || string(raw[:9]) != "HTTP/1.1 " || raw[12] != ' ' && raw[12] != '\r' {
		return nil, 0, 0, false
	}
	code := 0
	for _, c := range raw[9:12] {
		if c < '0' || c > '9' {
			return nil, 0, 0, false
		}
		code = code*10 + int(c-'0')
	}
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified {
		return nil, 0, 0, false // interim answers and bodiless ones: the general parser
	}
	lineEnd := bytes.IndexByte(raw, '\n')
	if lineEnd < 13 || raw[lineEnd-1] != '\r' || bytes.IndexByte(raw[9:lineEnd-1], '\r') >= 0 {
		return nil, 0, 0, false
	}
	// Count the header lines to size the map and the values' backing array.
	lines := bytes.Count(raw[lineEnd+1:], crlf) - 1
	if lines < 0 || lines > 100 {
		return nil, 0, 0, false
	}
	head := string(raw) // the one allocation for every value and uncommon name
	h := make(http.Header, lines)
	vals := make([]string, lines)
	length = -1
	chunked, closeConn, sawLength := false, false, false
	rest := head[lineEnd+1 : len(head)-2]
	for i := 0; len(rest) > 0; i++ {
		nl := strings.Index(rest, "\r\n")
		if nl < 0 || i >= lines {
			return nil, 0, 0, false
		}
		line := rest[:nl]
		rest = rest[nl+2:]
		colon := strings.IndexByte(line, ':')
		if colon <= 0 || !validHeaderName(line[:colon]) {
			return nil, 0, 0, false // also a folded line (leading space)
		}
		v := strings.Trim(line[colon+1:], " \t")
		if !validHeaderValue(v) {
			return nil, 0, 0, false
		}
		k := canonicalKey(line[:colon])
		switch k {
		case "Content-Length":
			if sawLength {
				return nil, 0, 0, false
			}
			sawLength = true
			n, ok := parseLength(v)
			if !ok {
				return nil, 0, 0, false
			}
			length = n
		case "Transfer-Encoding":
			if chunked || !strings.EqualFold(v, "chunked") {
				return nil, 0, 0, false
			}
			chunked = true
			continue // net/http moves it to Response.TransferEncoding
		case "Connection":
			for tok := range strings.SplitSeq(v, ",") {
				if strings.EqualFold(strings.Trim(tok, " \t"), "close") {
					closeConn = true
				}
			}
		case "Trailer", "Pragma":
			return nil, 0, 0, false // net/http adjusts these: the general parser
		}
		vals[i] = v
		if old, ok := h[k]; ok {
			h[k] = append(old, v)
		} else {
			h[k] = vals[i : i+1 : i+1]
		}
	}
	if closeConn {
		delete(h, "Connection") // as net/http does
	}
	switch {
	case chunked && sawLength, !chunked && !sawLength:
		return nil, 0, 0, false // odd or connection-delimited framing
	case chunked:
		mode = bodyChunked
	default:
		mode = bodyLength
	}
	if _, err := br.Discard(end); err != nil {
		return nil, 0, 0, false
	}
	resp = &http.Response{
		Status:     head[9 : lineEnd-1],
		StatusCode: code,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Close:      closeConn,
		Request:    req,
	}
	if chunked {
		resp.ContentLength = -1
		resp.TransferEncoding = []string{"chunked"}
	} else {
		resp.ContentLength = length
	}
	return resp, mode, length, true
}

// Body framings of parseHead.
const (
	bodyOther   uint8 = iota // read through Response.Body (net/http's reader)
	bodyLength               // Content-Length bytes
	bodyChunked              // chunked transfer coding
)

var (
	crlf     = []byte("\r\n")
	crlfcrlf = []byte("\r\n\r\n")
)

// parseLength parses a Content-Length value as net/http accepts it.
func parseLength(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// commonKeys interns the header names upstream answers carry.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Connection", "Date", "Server",
		"Vary", "X-Content-Type-Options", "X-Frame-Options", "X-Xss-Protection", "Server-Timing", "Alt-Svc",
		"Cache-Control", "Expires", "Pragma", "Keep-Alive", "Trailer", "Access-Control-Allow-Origin",
		"X-Goog-Request-Id", "X-Request-Id", "Retry-After", "Set-Cookie", "Location", "Etag", "Last-Modified",
	} {
		m[k] = k
		m[strings.ToLower(k)] = k
	}
	return m
}()

// canonicalKey returns k in net/http's canonical form, without allocating
// for common names or names already canonical.
func canonicalKey(k string) string {
	if c, ok := commonKeys[k]; ok {
		return c
	}
	return http.CanonicalHeaderKey(k)
}

// errChunk reports a malformed chunked body.
var errChunk = errors.New("h1: malformed chunked encoding")

// readLength reads a Content-Length body: at most *left more bytes.
func readLength(br *bufio.Reader, p []byte, left *int64) (int, error) {
	if *left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > *left {
		p = p[:*left]
	}
	n, err := br.Read(p)
	*left -= int64(n)
	if *left == 0 {
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// chunkState is a chunked body's reader state.
type chunkState struct {
	left   int64 // bytes left in the current chunk
	inner  bool  // a chunk's data was read: its CRLF comes next
	done   bool
	excess int64 // framing overhead beyond what the data justifies
}

// readChunked reads a chunked body with net/http's rules (its
// chunkedReader and trailer handling). It reads the next chunk's size line
// eagerly when it is already buffered, so that the final zero-size chunk
// is seen, and io.EOF returned, together with the last data.
func readChunked(br *bufio.Reader, p []byte, st *chunkState) (int, error) {
	if st.done {
		return 0, io.EOF
	}
	n := 0
	for {
		if st.left == 0 {
			if n > 0 && !chunkHeaderBuffered(br, st.inner) {
				return n, nil // do not block with data in hand
			}
			if err := nextChunk(br, st); err != nil {
				return n, err
			}
			if st.done {
				return n, io.EOF
			}
			continue
		}
		if n == len(p) {
			return n, nil
		}
		q := p[n:]
		if int64(len(q)) > st.left {
			q = q[:st.left]
		}
		m, err := br.Read(q)
		n += m
		st.left -= int64(m)
		if err != nil {
			return n, unexpected(err)
		}
		if st.left > 0 {
			return n, nil // the rest is not here yet
		}
	}
}

// chunkHeaderBuffered reports whether the previous chunk's CRLF and the
// next chunk's size line are wholly in br's buffer.
func chunkHeaderBuffered(br *bufio.Reader, inner bool) bool {
	b, _ := br.Peek(br.Buffered())
	if inner {
		if len(b) < 2 {
			return false
		}
		b = b[2:]
	}
	return bytes.IndexByte(b, '\n') >= 0
}

// nextChunk consumes the previous chunk's CRLF and the next size line; at
// the last chunk it also consumes the trailer section.
func nextChunk(br *bufio.Reader, st *chunkState) error {
	if st.inner {
		end, err := br.Peek(2)
		if err != nil {
			return unexpected(err)
		}
		if end[0] != '\r' || end[1] != '\n' {
			return errChunk
		}
		br.Discard(2)
		st.inner = false
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			return errLineTooLong
		}
		return unexpected(err)
	}
	if i := bytes.IndexByte(line, '\r'); len(line) < 2 || i != len(line)-2 {
		return errChunk // a bare LF, or a CR inside the line
	}
	line = line[:len(line)-2]
	if len(line) >= 4096 {
		return errLineTooLong
	}
	st.excess += int64(len(line)) + 2
	line = bytes.TrimRight(line, " \t")
	line, _, _ = bytes.Cut(line, []byte(";"))
	size, ok := parseHex(line)
	if !ok {
		return errChunk
	}
	st.excess = max(st.excess-16-2*size, 0)
	if st.excess > 16*1024 {
		return errors.New("h1: chunked encoding contains too much non-data")
	}
	if size > 0 {
		st.left, st.inner = size, true
		return nil
	}
	st.done = true
	return readTrailer(br)
}

var errLineTooLong = errors.New("h1: chunk size line too long")

// readTrailer consumes the trailer section after the last chunk, as
// net/http does (and, like it, drops the fields).
func readTrailer(br *bufio.Reader) error {
	b, err := br.Peek(2)
	if len(b) == 2 && b[0] == '\r' && b[1] == '\n' {
		br.Discard(2)
		return nil
	}
	if len(b) < 2 {
		return errTrailerEOF
	}
	if err != nil {
		return err
	}
	// The whole section must be within the buffer: no unbounded trailer.
	for peek := 4; ; peek++ {
		b, err := br.Peek(peek)
		if bytes.HasSuffix(b, crlfcrlf) {
			break
		}
		if err != nil {
			return errors.New("h1: suspiciously long trailer after chunked body")
		}
	}
	if _, err := textproto.NewReader(br).ReadMIMEHeader(); err != nil {
		if err == io.EOF {
			return errTrailerEOF
		}
		return err
	}
	return nil
}

var errTrailerEOF = errors.New("h1: unexpected EOF reading trailer")

// parseHex parses a chunk size: 1 to 16 hex digits.
func parseHex(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 16 {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(c)
	}
	return int64(n), int64(n) >= 0
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
