package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultBaseURL is Meta's Graph API host (design doc §1).
	DefaultBaseURL = "https://graph.facebook.com"
	// DefaultVersion is the Graph API version used when Config.Version is
	// empty. v23.0 is the version of Meta's OpenAPI spec that the doc's
	// request and response shapes were checked against; Meta's newer
	// examples use v24.0/v25.0 with the same shapes for everything this
	// package sends. Bump it in config, not here, when Meta retires it.
	DefaultVersion = "v23.0"
	// DefaultTimeout bounds one API call when Config.Timeout is zero. A send
	// normally answers in well under a second; a long wait only makes more
	// outcomes unknown.
	DefaultTimeout = 15 * time.Second
	// DefaultMaxConnsPerHost sizes the connection pool for a sender running
	// hundreds of concurrent sends against one host.
	DefaultMaxConnsPerHost = 256

	// maxSendResponse bounds the body of a send or mark-read answer: the
	// documented success is a few hundred bytes, an error envelope about one
	// kilobyte.
	maxSendResponse = 64 << 10
	// maxManagementResponse bounds template listings and phone-number reads,
	// which carry whole template definitions.
	maxManagementResponse = 8 << 20
	// maxPooledBuffer keeps an occasional large response from pinning a big
	// buffer in the pool forever.
	maxPooledBuffer = 64 << 10
)

// Config locates the API. The zero value talks to Meta.
type Config struct {
	// BaseURL is scheme and host (and optional path prefix), without the
	// version: "https://graph.facebook.com", or the sandbox's URL.
	BaseURL string
	// Version is the Graph API version path segment, e.g. "v23.0".
	Version string
	// Timeout bounds each call, including reading the answer. It applies
	// on top of any deadline the caller's context already has.
	Timeout time.Duration
	// MaxConnsPerHost sizes the pool of the http.Client NewClient builds;
	// ignored when the caller supplies its own.
	MaxConnsPerHost int
}

// Client calls the Cloud API. It is safe for concurrent use and holds no
// credentials: every call takes the access token of the org connection it
// acts for.
type Client struct {
	hc *http.Client
	// rt is set when NewClient built hc itself: the client then calls the
	// transport directly, skipping http.Client's per-request header copy
	// and redirect bookkeeping (it follows no redirects and has no jar or
	// Client.Timeout, so nothing is lost).
	rt      http.RoundTripper
	prefix  string // base + "/" + version + "/"
	timeout time.Duration
}

// NewClient returns a client for cfg. With hc nil it builds an http.Client
// tuned for many concurrent sends to one host; pass hc to share a pool or
// to test with a special transport.
func NewClient(cfg Config, hc *http.Client) *Client {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	version := strings.Trim(cfg.Version, "/")
	if version == "" {
		version = DefaultVersion
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &Client{hc: hc, prefix: base + "/" + version + "/", timeout: timeout}
	if hc == nil {
		c.hc = newHTTPClient(cfg.MaxConnsPerHost)
		c.rt = c.hc.Transport
	}
	return c
}

func newHTTPClient(maxConns int) *http.Client {
	if maxConns <= 0 {
		maxConns = DefaultMaxConnsPerHost
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:       http.ProxyFromEnvironment,
		DialContext: dialer.DialContext,
		// Idle connections as many as active ones: a sender at full speed
		// otherwise closes and redials connections between bursts.
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		MaxConnsPerHost:       maxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		// The Graph API does not redirect. Following one would replay a
		// POST somewhere else, so hand the 3xx back as an error instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Shared, read-only header values: building them per request would
// allocate on the hot path. net/http only reads request headers.
var (
	headerJSON      = []string{"application/json"}
	headerUserAgent = []string{"tidings-whatsapp/1"}
)

// call is one API request. body may be nil (GET, DELETE).
type call struct {
	method string
	path   string // after the version: "{pnid}/messages"
	query  url.Values
	body   *reqBody
	limit  int
}

// do performs c and returns the raw 2xx body in a pooled buffer, which the
// caller must hand back with putRespBuf. Non-2xx answers become *APIError
// and failures without an answer *TransportError.
func (c *Client) do(ctx context.Context, token string, cl call) (*bytes.Buffer, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	// A caller deadline that comes first makes our own timer redundant;
	// skipping it saves a timer per send.
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > c.timeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	u := c.prefix + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}

	var rd io.Reader
	if cl.body != nil {
		r, err := cl.body.reader()
		if err != nil {
			return nil, fmt.Errorf("whatsapp: %s: %w", cl.op(), err)
		}
		rd = r
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, rd)
	if err != nil {
		if rd != nil {
			_ = rd.(io.Closer).Close()
		}
		return nil, fmt.Errorf("whatsapp: %s: %w: %w", cl.op(), ErrInvalidRequest, err)
	}
	req.Header = http.Header{
		"Authorization": {"Bearer " + token},
		"Accept":        headerJSON,
		"User-Agent":    headerUserAgent,
	}
	if cl.body != nil {
		req.Header["Content-Type"] = headerJSON
		req.ContentLength = int64(len(cl.body.buf))
		b := cl.body
		// GetBody lets the transport retry on a fresh connection when the
		// pooled one turned out dead before anything was written.
		req.GetBody = func() (io.ReadCloser, error) { return b.reader() }
	}

	var resp *http.Response
	if c.rt != nil {
		resp, err = c.rt.RoundTrip(req)
	} else {
		resp, err = c.hc.Do(req)
	}
	if err != nil {
		return nil, &TransportError{Op: cl.op(), Err: err, Timeout: isTimeout(err), MayHaveBeenSent: cl.body.handedOver()}
	}
	defer resp.Body.Close()

	buf := getRespBuf()
	rerr := readLimited(buf, resp.Body, cl.limit)
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	switch {
	case buf.Len() > cl.limit:
		putRespBuf(buf)
		err := fmt.Errorf("%w: over %d bytes (HTTP %d)", ErrResponseTooLarge, cl.limit, resp.StatusCode)
		if ok {
			// The call succeeded but we can't see how; for a send the
			// message is out there, so the outcome is unknown.
			return nil, &TransportError{Op: cl.op(), Err: err, MayHaveBeenSent: cl.mutates()}
		}
		return nil, newAPIError(resp.StatusCode, nil, resp.Header.Get("X-Fb-Trace-Id"))
	case rerr != nil && ok:
		putRespBuf(buf)
		return nil, &TransportError{Op: cl.op(), Err: rerr, Timeout: isTimeout(rerr), MayHaveBeenSent: cl.mutates()}
	case !ok:
		// A truncated error body still carries its status; parse what came.
		ae := newAPIError(resp.StatusCode, buf.Bytes(), resp.Header.Get("X-Fb-Trace-Id"))
		putRespBuf(buf)
		return nil, ae
	}
	return buf, nil
}

// op names the call in errors: "METHOD /path", without host or query.
// Built only when an error needs it, to keep it off the hot path.
func (cl call) op() string { return cl.method + " /" + cl.path }

// mutates reports whether the call changes something at Meta, so that an
// unreadable success answer leaves its effect unknown.
func (cl call) mutates() bool { return cl.method != http.MethodGet }

// readLimited reads r into buf until EOF or until more than limit bytes
// arrived (so the caller can tell "exactly limit" from "too much").
// Reading into the buffer's spare capacity avoids an io.LimitedReader per
// call.
func readLimited(buf *bytes.Buffer, r io.Reader, limit int) error {
	for buf.Len() <= limit {
		if buf.Available() < 512 {
			buf.Grow(512)
		}
		free := buf.AvailableBuffer()[:min(buf.Available(), limit+1-buf.Len())]
		n, err := r.Read(free)
		buf.Write(free[:n])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeOK decodes a 2xx body into v, marking an unreadable one as a
// TransportError: for a send, Meta accepted it even though we can't say how.
func decodeOK(cl call, buf *bytes.Buffer, v any) error {
	err := json.Unmarshal(buf.Bytes(), v)
	putRespBuf(buf)
	if err != nil {
		return &TransportError{Op: cl.op(), Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err), MayHaveBeenSent: cl.mutates()}
	}
	return nil
}

func checkToken(token string) error {
	if token == "" {
		return fmt.Errorf("%w: empty access token", ErrInvalidRequest)
	}
	for i := 0; i < len(token); i++ {
		// Printable ASCII only: anything else is a corrupted secret, and a
		// CR/LF would let it forge headers. The token is never echoed.
		if token[i] <= ' ' || token[i] >= 0x7f {
			return fmt.Errorf("%w: access token has invalid characters", ErrInvalidRequest)
		}
	}
	return nil
}

// checkID accepts Graph object ids (numeric strings at Meta; the sandbox may
// use other safe characters) and refuses anything that would change the
// URL path or query.
func checkID(what, id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("%w: %s must be 1–128 characters", ErrInvalidRequest, what)
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || ch == '_' || ch == '-' || ch == '.') {
			return fmt.Errorf("%w: %s has invalid characters", ErrInvalidRequest, what)
		}
	}
	return nil
}

// --- pooled request bodies ------------------------------------------------

// reqBody is an encoded request body from a pool. The transport may read
// and close the body on its own goroutines even after Client.Do returned
// (HTTP/2 aborts close it concurrently with a read), so the buffer goes back
// to the pool only when the caller and every reader have let go: a
// reference count, and a mutex in each reader so Close never races a Read.
type reqBody struct {
	buf  []byte
	refs atomic.Int32
	// done is set when a reader has returned the last byte: the whole
	// request has been handed to a connection, so Meta may have it.
	done atomic.Bool
}

var reqPool = sync.Pool{New: func() any { return &reqBody{buf: make([]byte, 0, 1024)} }}

// newReqBody takes a body from the pool holding one reference (the caller's).
func newReqBody() *reqBody {
	b := reqPool.Get().(*reqBody)
	b.buf = b.buf[:0]
	b.done.Store(false)
	b.refs.Store(1)
	return b
}

// release drops one reference; the last one returns the body to the pool.
func (b *reqBody) release() {
	if b == nil {
		return
	}
	if b.refs.Add(-1) == 0 && cap(b.buf) <= maxPooledBuffer {
		reqPool.Put(b)
	}
}

// handedOver reports whether the transport read the body to the end.
func (b *reqBody) handedOver() bool { return b != nil && b.done.Load() }

var errBodyReleased = errors.New("request body already released")

// reader opens a new reader on the body, taking a reference for it.
func (b *reqBody) reader() (io.ReadCloser, error) {
	for {
		n := b.refs.Load()
		if n <= 0 {
			// Only reachable if the transport asked for the body after the
			// call finished; refuse rather than read a recycled buffer.
			return nil, errBodyReleased
		}
		if b.refs.CompareAndSwap(n, n+1) {
			return &bodyReader{b: b}, nil
		}
	}
}

type bodyReader struct {
	mu  sync.Mutex
	b   *reqBody // nil once closed
	off int
}

func (r *bodyReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.b == nil {
		return 0, errBodyReleased
	}
	if r.off >= len(r.b.buf) {
		r.b.done.Store(true)
		return 0, io.EOF
	}
	n := copy(p, r.b.buf[r.off:])
	r.off += n
	if r.off == len(r.b.buf) {
		r.b.done.Store(true)
		return n, io.EOF
	}
	return n, nil
}

func (r *bodyReader) Close() error {
	r.mu.Lock()
	b := r.b
	r.b = nil
	r.mu.Unlock()
	b.release()
	return nil
}

// --- pooled response buffers ----------------------------------------------

var respPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 1024)) }}

func getRespBuf() *bytes.Buffer {
	b := respPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putRespBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		respPool.Put(b)
	}
}
