package telegramtest

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// Document is the file of a message sent with sendDocument.
type Document struct {
	// FileID and FileUniqueID identify it; FileID sends it again.
	FileID       string
	FileUniqueID string
	// Filename is the multipart upload's file name, MIMEType a guess
	// from it as Telegram makes one.
	Filename string
	MIMEType string
	// Data is the uploaded bytes.
	Data []byte
}

// wireDocument is a Document as the Bot API returns it.
type wireDocument struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MIMEType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

func (d *Document) wire() *wireDocument {
	if d == nil {
		return nil
	}
	return &wireDocument{FileID: d.FileID, FileUniqueID: d.FileUniqueID, FileName: d.Filename, MIMEType: d.MIMEType, FileSize: len(d.Data)}
}

// sendDocument sends a file: a multipart upload (the document field, or
// attach://<name>) or the file_id of one sent before, with a caption of at
// most 1024 characters.
func (s *Server) sendDocument(_ *http.Request, p *params) (any, *apiError) {
	return s.sendMedia(p, func(m *Message) *apiError {
		doc, err := s.inputDocument(p)
		m.Document = doc
		return err
	})
}

// inputDocument reads the document parameter; s.mu must be held.
func (s *Server) inputDocument(p *params) (*Document, *apiError) {
	up, isFile := p.files["document"]
	ref := strings.TrimSpace(p.str("document"))
	if m := attachRE.FindStringSubmatch(ref); !isFile && m != nil {
		up, isFile = p.files[m[1]]
	}
	if !isFile {
		if ref == "" {
			return nil, badRequest("there is no document in the request")
		}
		if d := s.documents[ref]; d != nil {
			return d, nil
		}
		return nil, badRequest("wrong file identifier/HTTP URL specified")
	}
	if len(up.data) == 0 {
		return nil, badRequest("file must be non-empty")
	}
	if len(up.data) > 50<<20 {
		return nil, &apiError{code: http.StatusRequestEntityTooLarge, description: "Request Entity Too Large"}
	}
	s.docSeq++
	d := &Document{
		FileID: fmt.Sprintf("BQACAgDoc%d", s.docSeq), FileUniqueID: fmt.Sprintf("AgADdoc%d", s.docSeq),
		Filename: up.filename, MIMEType: mimeOf(up.filename, up.data), Data: bytes.Clone(up.data),
	}
	if s.documents == nil {
		s.documents = map[string]*Document{}
	}
	s.documents[d.FileID] = d
	return d, nil
}

// mimeOf guesses a file's type from its name, as Telegram does.
func mimeOf(name string, data []byte) string {
	switch {
	case strings.HasSuffix(strings.ToLower(name), ".csv"):
		return "text/csv"
	case strings.HasSuffix(strings.ToLower(name), ".txt"):
		return "text/plain"
	}
	return http.DetectContentType(data)
}
