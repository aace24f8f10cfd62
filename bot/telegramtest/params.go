package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxRequestBytes bounds a request body, like the Bot API's 50 MB upload limit.
const maxRequestBytes = 50 << 20

// upload is a file sent as a multipart part with a file name.
type upload struct {
	filename string
	data     []byte
}

// params holds the parameters of one Bot API request, merged from the query
// string and the body, the way the Bot API server reads them: every value is
// a string, nested objects are JSON text.
type params struct {
	values map[string]string
	files  map[string]upload
}

// parseParams reads the query string and a multipart/form-data,
// application/json or application/x-www-form-urlencoded body.
func parseParams(r *http.Request) (*params, *apiError) {
	p := &params{values: map[string]string{}, files: map[string]upload{}}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 {
			p.values[k] = vs[0]
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return nil, badRequest("can't read request body")
	}
	if len(body) > maxRequestBytes {
		return nil, &apiError{code: http.StatusRequestEntityTooLarge, description: "Request Entity Too Large"}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// go-telegram/bot sends an empty body with a multipart content type
		// for methods without parameters (getMe, getWebhookInfo).
		return p, nil
	}
	mediaType, mparams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		if err := p.readMultipart(body, mparams["boundary"]); err != nil {
			return nil, badRequest("can't parse multipart/form-data request: %v", err)
		}
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, badRequest("can't parse JSON encoded request")
		}
		for k, raw := range m {
			var s string
			switch {
			case bytes.Equal(raw, []byte("null")):
				continue
			case json.Unmarshal(raw, &s) == nil:
				p.values[k] = s
			default:
				p.values[k] = string(raw)
			}
		}
	case "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, badRequest("can't parse URL encoded request")
		}
		for k, vs := range q {
			if len(vs) > 0 {
				p.values[k] = vs[0]
			}
		}
	}
	return p, nil
}

func (p *params) readMultipart(body []byte, boundary string) error {
	if boundary == "" {
		return errors.New("no boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return err
		}
		name := part.FormName()
		if name == "" {
			continue
		}
		// Like the Bot API server, a part is a file only when it carries a
		// non-empty file name; otherwise it is an ordinary string field.
		if fn := part.FileName(); fn != "" {
			p.files[name] = upload{filename: fn, data: data}
			continue
		}
		p.values[name] = string(data)
	}
}

func (p *params) str(name string) string { return p.values[name] }

// int64 returns the integer parameter name, 0 when it is absent.
func (p *params) int64(name string) (int64, *apiError) {
	v := strings.TrimSpace(p.values[name])
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("invalid %s specified", name)
	}
	return n, nil
}

// bool returns the boolean parameter name, false when it is absent.
func (p *params) bool(name string) bool {
	switch strings.ToLower(strings.TrimSpace(p.values[name])) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}

// stringList decodes a JSON array of strings, as allowed_updates.
func (p *params) stringList(name string) ([]string, bool, *apiError) {
	v, ok := p.values[name]
	if !ok {
		return nil, false, nil
	}
	var list []string
	if strings.TrimSpace(v) == "" {
		return []string{}, true, nil
	}
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return nil, false, badRequest("can't parse %s JSON array", name)
	}
	return list, true, nil
}

// apiError is an error answer of the Bot API: its HTTP status equals code.
type apiError struct {
	code        int
	description string
	retryAfter  int
	html        bool // answer with a proxy's HTML page instead of JSON
	stall       bool // do not answer: hold the request until the client gives up
	after       bool // with stall: carry the request out first, then hold it
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: http.StatusBadRequest, description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

var (
	errUnauthorized = &apiError{code: http.StatusUnauthorized, description: "Unauthorized"}
	errNotFound     = &apiError{code: http.StatusNotFound, description: "Not Found"}
	errBlocked      = &apiError{code: http.StatusForbidden, description: "Forbidden: bot was blocked by the user"}
)
