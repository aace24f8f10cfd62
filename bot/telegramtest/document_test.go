package telegramtest_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/bot/telegramtest"
)

// TestSendDocument: an upload is kept with its name and type and can be
// sent again by file_id; a request without a file, with an empty one or
// with a caption over 1024 characters is refused as Telegram does.
func TestSendDocument(t *testing.T) {
	const tok = "42:doc-TOKEN"
	fake := telegramtest.NewServer(t, tok)
	fake.SetUser(7, "Ada", "", "", "en")
	fake.SendText(7, 7, "hi") // the chat exists once the user spoke
	post := func(fields map[string]string, file []byte) (bool, string, json.RawMessage) {
		t.Helper()
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for k, v := range fields {
			_ = w.WriteField(k, v)
		}
		if file != nil {
			fw, _ := w.CreateFormFile("document", "sales.csv")
			_, _ = fw.Write(file)
		}
		_ = w.Close()
		resp, err := http.Post(fake.URL()+"/bot"+tok+"/sendDocument", w.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			OK          bool            `json:"ok"`
			Description string          `json:"description"`
			Result      json.RawMessage `json:"result"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.OK, out.Description, out.Result
	}
	ok, desc, res := post(map[string]string{"chat_id": "7", "caption": "<b>export</b>", "parse_mode": "HTML"}, []byte("a,b\n1,2\n"))
	if !ok {
		t.Fatalf("upload refused: %s", desc)
	}
	var sent struct {
		Document struct {
			FileID   string `json:"file_id"`
			FileName string `json:"file_name"`
			MIMEType string `json:"mime_type"`
		} `json:"document"`
		Caption string `json:"caption"`
	}
	_ = json.Unmarshal(res, &sent)
	if sent.Document.FileName != "sales.csv" || sent.Document.MIMEType != "text/csv" || sent.Caption != "export" {
		t.Errorf("sent %+v", sent)
	}
	msgs := fake.Messages(7)
	last := msgs[len(msgs)-1]
	if last.Document == nil || string(last.Document.Data) != "a,b\n1,2\n" {
		t.Fatalf("stored %+v", last.Document)
	}
	if ok, desc, _ := post(map[string]string{"chat_id": "7", "document": sent.Document.FileID}, nil); !ok {
		t.Errorf("resend by file_id refused: %s", desc)
	}
	for name, tc := range map[string]struct {
		fields map[string]string
		file   []byte
		want   string
	}{
		"NoDocument":  {map[string]string{"chat_id": "7"}, nil, "there is no document in the request"},
		"Empty":       {map[string]string{"chat_id": "7"}, []byte{}, "file must be non-empty"},
		"BadFileID":   {map[string]string{"chat_id": "7", "document": "nope"}, nil, "wrong file identifier"},
		"LongCaption": {map[string]string{"chat_id": "7", "caption": strings.Repeat("x", 1025)}, []byte("a"), "message caption is too long"},
	} {
		t.Run(name, func(t *testing.T) {
			ok, desc, _ := post(tc.fields, tc.file)
			if ok || !strings.Contains(desc, tc.want) {
				t.Errorf("ok %v, %q; want a refusal %q", ok, desc, tc.want)
			}
		})
	}
}
