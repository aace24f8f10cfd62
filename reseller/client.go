package reseller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config configures a Client. BaseURL, Username and Password are required.
type Config struct {
	// BaseURL is the API root including its prefix, for example
	// https://reseller.example.com/api/v1.
	BaseURL string
	// Username and Password are the reseller login. The password is never
	// printed: Config formats without it.
	Username, Password string
	// Paths overrides endpoint paths; zero fields take DefaultPaths.
	Paths Paths
	// HTTPClient sends the requests; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Retry bounds the retries of reads; zero fields take defaults.
	Retry RetryPolicy
	// RefreshBefore is the longest margin before expiry at which the
	// access token is refreshed (default 30 s). The margin of each token is
	// RefreshBefore or a quarter of its lifetime, whichever is shorter, so
	// tokens of any lifetime are used (a 4 s token is renewed after 3 s).
	RefreshBefore time.Duration
	// Logger receives debug lines about calls (never tokens or bodies);
	// nil discards them.
	Logger *slog.Logger
	// Observe, when set, is called after every HTTP exchange, for metrics.
	Observe func(CallInfo)
	// UserAgent is sent with every request (default "esimbot-reseller").
	UserAgent string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Format prints the configuration without the password.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{BaseURL:%s Username:%s Password:[redacted]}", c.BaseURL, c.Username)
}

// LogValue keeps the password out of slog output.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("username", c.Username))
}

// RetryPolicy bounds the retries of reads (GET). Purchases are never retried.
type RetryPolicy struct {
	// MaxAttempts is the number of tries of one read, the first included
	// (default 4; 1 disables retries).
	MaxAttempts int
	// BaseDelay is the first backoff (default 200 ms); it doubles per try,
	// with full jitter.
	BaseDelay time.Duration
	// MaxDelay caps one backoff, Retry-After included (default 5 s).
	MaxDelay time.Duration
}

// CallInfo describes one HTTP exchange with the API, for metrics.
type CallInfo struct {
	// Method and Endpoint name the call (the configured path, without query).
	Method, Endpoint string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Duration is how long the exchange took.
	Duration time.Duration
	// Err is the transport error, if any.
	Err error
}

// Client calls the reseller API. It is safe for concurrent use; concurrent
// callers share one login and one refresh.
type Client struct {
	base    *url.URL
	paths   Paths
	http    *http.Client
	retry   RetryPolicy
	log     *slog.Logger
	observe func(CallInfo)
	ua      string
	now     func() time.Time
	auth    *auth
}

// New returns a Client for cfg. It does not log in: the first call does.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.BaseURL) == "" {
		return nil, errors.New("reseller: base URL is empty")
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("reseller: base URL %q: want http(s)://host[/prefix]", cfg.BaseURL)
	}
	if cfg.Username == "" || cfg.Password == "" {
		return nil, errors.New("reseller: username and password are required")
	}
	c := &Client{
		base:    base,
		paths:   cfg.Paths.withDefaults(),
		http:    cfg.HTTPClient,
		retry:   cfg.Retry,
		log:     cfg.Logger,
		observe: cfg.Observe,
		ua:      cfg.UserAgent,
		now:     cfg.Now,
	}
	c.setDefaults()
	skew := cfg.RefreshBefore
	if skew <= 0 {
		skew = 30 * time.Second
	}
	c.auth = newAuth(c, cfg.Username, secret(cfg.Password), skew)
	return c, nil
}

// setDefaults fills in the settings Config left at zero.
func (c *Client) setDefaults() {
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.retry.MaxAttempts <= 0 {
		c.retry.MaxAttempts = 4
	}
	if c.retry.BaseDelay <= 0 {
		c.retry.BaseDelay = 200 * time.Millisecond
	}
	if c.retry.MaxDelay <= 0 {
		c.retry.MaxDelay = 5 * time.Second
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.ua == "" {
		c.ua = "esimbot-reseller"
	}
	if c.now == nil {
		c.now = time.Now
	}
}

// request is one call to the API.
type request struct {
	method   string
	path     string
	query    url.Values
	body     any
	noAuth   bool // login and refresh
	purchase bool // never retried; lost answers are ErrOutcomeUnknown
	op       string
}

// response is a successful answer: its status and body (nil for 204).
type response struct {
	status int
	body   []byte
	resent bool // sent a second time after a 401/403
}

const maxBody = 16 << 20

// do sends req with authentication, retries (reads only) and one
// re-authentication on 401/403, and returns a 2xx answer or an error.
// Nothing is sent without an Access-Token unless req.noAuth.
func (c *Client) do(ctx context.Context, req request) (response, error) {
	reauthed := false
	for attempt := 1; ; attempt++ {
		tok, gen, err := c.sendToken(ctx, req, reauthed)
		if err != nil {
			return response{}, err
		}
		resp, err := c.exchange(ctx, req, tok)
		switch {
		case err == nil:
			resp.resent = reauthed
			return resp, nil
		case !reauthed && tokenRefused(req, err):
			// The token was refused: refresh (or log in) once and try again.
			// A purchase is sent again too; since the API may have committed
			// the refused one, every failure of the second sending is an
			// unknown outcome (see purchaseFailure).
			reauthed = true
			c.auth.invalidate(gen)
			attempt--
			continue
		case req.purchase:
			return response{}, purchaseFailure(req, err, reauthed)
		}
		if err := c.backoff(ctx, req, attempt, err); err != nil {
			return response{}, err
		}
	}
}

// sendToken returns the access token to send req with and its generation,
// none when req.noAuth. reauthed says whether req was already refused
// once: a purchase that then finds no token has an unknown outcome.
func (c *Client) sendToken(ctx context.Context, req request, reauthed bool) (secret, uint64, error) {
	if req.noAuth {
		return "", 0, nil
	}
	tok, gen, err := c.auth.token(ctx)
	if err == nil && tok == "" {
		err = fmt.Errorf("reseller: %s %s: %w: no access token to send", req.method, req.path, ErrUnauthorized)
	}
	if err != nil {
		if req.purchase && reauthed {
			// The purchase was answered 401/403 and may have been
			// committed all the same.
			return "", 0, &outcomeError{op: req.op, cause: err}
		}
		return "", 0, err
	}
	return tok, gen, nil
}

// tokenRefused reports whether err is the API refusing req's token (401
// or 403).
func tokenRefused(req request, err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && !req.noAuth &&
		(apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden)
}

// backoff waits before trying again a read whose try attempt failed with
// err, or returns the error to give up with.
func (c *Client) backoff(ctx context.Context, req request, attempt int, err error) error {
	retryAfter, retryable := c.retryable(err)
	if !retryable || req.method != http.MethodGet || attempt >= c.retry.MaxAttempts || ctx.Err() != nil {
		return err
	}
	if serr := c.sleep(ctx, attempt, retryAfter); serr != nil {
		return fmt.Errorf("%w (retry cut short: %w)", err, serr)
	}
	return nil
}

// purchaseFailure classifies a failed purchase. A 4xx refusal of its first
// sending sold nothing and is returned as is. Anything else is an unknown
// outcome wrapping err: a lost answer or a 5xx; a 409 or any other
// "reference already used" (an earlier sending of this reference may have
// sold); and any failure of a sending that follows a 401/403, which the API
// may have committed before refusing the token.
func purchaseFailure(req request, err error, resent bool) error {
	var apiErr *APIError
	if !resent && errors.As(err, &apiErr) && apiErr.Status < 500 && !errors.Is(err, ErrDuplicateReference) {
		return err
	}
	return &outcomeError{op: req.op, cause: err}
}

// retryable reports whether a read that failed with err may be tried
// again, and any delay the API asked for.
func (c *Client) retryable(err error) (time.Duration, bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.retryAfter, apiErr.Status >= 500 || apiErr.Status == http.StatusTooManyRequests
	}
	return 0, errors.Is(err, ErrUnavailable)
}

// sleep waits before try attempt+1: full jitter over an exponential
// backoff, or the API's Retry-After, capped by MaxDelay.
func (c *Client) sleep(ctx context.Context, attempt int, retryAfter time.Duration) error {
	d := retryAfter
	if d <= 0 {
		ceiling := c.retry.BaseDelay << min(attempt-1, 20)
		if ceiling > c.retry.MaxDelay || ceiling <= 0 {
			ceiling = c.retry.MaxDelay
		}
		d = time.Duration(rand.Int64N(int64(ceiling)) + 1)
	}
	d = min(d, c.retry.MaxDelay)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// exchange performs one HTTP exchange and turns a non-2xx answer into an
// *APIError and a transport failure into an error wrapping ErrUnavailable.
func (c *Client) exchange(ctx context.Context, req request, tok secret) (response, error) {
	u := *c.base
	u.Path = c.base.Path + req.path
	u.RawQuery = req.query.Encode()
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return response{}, fmt.Errorf("reseller: %s %s: encode body: %w", req.method, req.path, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u.String(), body)
	if err != nil {
		return response{}, fmt.Errorf("reseller: %s %s: %w", req.method, req.path, err)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.ua)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		hr.Header.Set("Access-Token", string(tok))
	}
	start := c.now()
	hresp, err := c.http.Do(hr)
	if err != nil {
		c.record(req, 0, start, err)
		// url.Error repeats the URL, which never holds a secret here, but
		// keep only the cause so messages stay short.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return response{}, fmt.Errorf("reseller: %s %s: %w: %w", req.method, req.path, ErrUnavailable, err)
	}
	defer hresp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hresp.Body, maxBody))
	c.record(req, hresp.StatusCode, start, err)
	if err != nil {
		return response{}, fmt.Errorf("reseller: %s %s: read answer: %w: %w", req.method, req.path, ErrUnavailable, err)
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "reseller call",
		slog.String("method", req.method), slog.String("path", req.path),
		slog.Int("status", hresp.StatusCode), slog.Duration("took", c.now().Sub(start)))
	if hresp.StatusCode >= 200 && hresp.StatusCode < 300 {
		if hresp.StatusCode == http.StatusNoContent {
			raw = nil
		}
		return response{status: hresp.StatusCode, body: raw}, nil
	}
	return response{}, newAPIError(req, hresp, raw)
}

func (c *Client) record(req request, status int, start time.Time, err error) {
	if c.observe != nil {
		c.observe(CallInfo{Method: req.method, Endpoint: req.path, Status: status, Duration: c.now().Sub(start), Err: err})
	}
}

// newAPIError reads an error answer.
func newAPIError(req request, hresp *http.Response, raw []byte) *APIError {
	e := &APIError{Method: req.method, Endpoint: req.path, Status: hresp.StatusCode}
	var b apiErrorBody
	if json.Unmarshal(raw, &b) == nil {
		e.Title, e.Message, e.DeveloperMessage, e.Detail = b.Title, b.Message, b.DeveloperMessage, b.Detail
		e.ResponseCode = string(b.ResponseCode)
		if e.Message == "" {
			e.Message = b.Error
		}
	} else if text := strings.TrimSpace(string(raw)); text != "" && !strings.HasPrefix(text, "<") {
		e.Message = truncate([]byte(text))
	}
	if s := hresp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			e.retryAfter = time.Duration(n) * time.Second
		}
	}
	return e
}

// decode reads a JSON object answer into out.
func decode(req request, resp response, out any) error {
	if len(bytes.TrimSpace(resp.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("reseller: %s %s: %w: %w", req.method, req.path, ErrBadResponse, err)
	}
	if f, ok := out.(fixed); ok {
		f.fixAmounts()
	}
	return nil
}
