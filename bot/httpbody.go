package bot

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// sizedBodies is the HTTP client the library sends with. The library
// streams each request's multipart form through a pipe, so net/http sends
// it chunked, and a chunked request body is flushed to the socket after
// every chunk: one write system call per form field and per part header
// (eight or more for a message with a keyboard). sizedBodies reads the form
// into memory first and sends it with its length, in one write for all but
// large pictures. The form is built in memory by the library anyway; a
// request is at most a photo of a few kilobytes or a message of 4,096
// characters.
type sizedBodies struct{ c *http.Client }

// formBuffers are the buffers forms are read into: grown once, then the
// form is copied out at its size.
var formBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Do sends req with its body read in full and its ContentLength set.
func (s sizedBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength > 0 {
		return s.c.Do(req)
	}
	buf := formBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(req.Body)
	_ = req.Body.Close()
	body := bytes.Clone(buf.Bytes()) // the transport may still read it after Do returns
	formBuffers.Put(buf)
	if err != nil {
		return nil, err
	}
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.Body, _ = req.GetBody()
	return s.c.Do(req)
}
