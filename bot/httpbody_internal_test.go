package bot

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSizedBodiesSendLength: a body of unknown length (the library's
// pipe) goes with its Content-Length, not chunked, and arrives whole.
func TestSizedBodiesSendLength(t *testing.T) {
	type seen struct {
		length   int64
		encoding []string
		body     string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.ContentLength, r.TransferEncoding, string(body)}
	}))
	defer srv.Close()
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "chat_id=1&")
		_, _ = io.WriteString(pw, "text=hello")
		pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, srv.URL, pr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := sizedBodies{srv.Client()}.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := <-got
	if want := "chat_id=1&text=hello"; s.body != want || s.length != int64(len(want)) || len(s.encoding) > 0 {
		t.Errorf("server got body %q, Content-Length %d, Transfer-Encoding %v; want %q with its length, not chunked",
			s.body, s.length, strings.Join(s.encoding, ","), want)
	}
}
