package telegramtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/bot/telegramtest"
)

// TestCopyMessage: a user's photo and a staff member's document in a
// group are copied into the other chat as new messages of the bot, with
// their captions, buttons and reply; an unknown message or chat is refused
// as Telegram does.
func TestCopyMessage(t *testing.T) {
	const tok = "42:copy-TOKEN"
	fake := telegramtest.NewServer(t, tok)
	fake.SetUser(7, "Ada", "", "", "en")
	fake.AddGroup(-100)
	call := func(v url.Values) (bool, string, int) {
		t.Helper()
		resp, err := http.PostForm(fake.URL()+"/bot"+tok+"/copyMessage", v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			OK          bool   `json:"ok"`
			Description string `json:"description"`
			Result      struct {
				MessageID int `json:"message_id"`
			} `json:"result"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.OK, out.Description, out.Result.MessageID
	}

	fake.SendPhoto(7, 7, 0, "the error")
	fake.SendText(-100, 1, "header") // message 1 of the group
	ok, desc, id := call(url.Values{"chat_id": {"-100"}, "from_chat_id": {"7"}, "message_id": {"1"},
		"reply_parameters": {`{"message_id":1}`}})
	if !ok || id != 2 {
		t.Fatalf("copy of the photo: %v %q, id %d", ok, desc, id)
	}
	m, _ := fake.Message(-100, id)
	if !m.FromBot || m.Photo == nil || m.Caption != "the error" || m.CopiedFrom != 7 || m.CopiedID != 1 || m.ReplyTo != 1 {
		t.Errorf("the copy: %+v", m)
	}

	fake.SendDocument(-100, 801, id, "log.pdf", []byte("%PDF-1.4"), "see page 2")
	ok, desc, id = call(url.Values{"chat_id": {"7"}, "from_chat_id": {"-100"}, "message_id": {"3"},
		"reply_markup": {`{"inline_keyboard":[[{"text":"Reply","callback_data":"r"}]]}`}})
	if !ok {
		t.Fatalf("copy of the document: %q", desc)
	}
	m, _ = fake.Message(7, id)
	if m.Document == nil || m.Document.Filename != "log.pdf" || m.Caption != "see page 2" || len(m.Buttons()) != 1 {
		t.Errorf("the copy: %+v", m)
	}
	if tr := fake.Transcript(7); !strings.Contains(tr, "[document log.pdf, 8 bytes] see page 2 (copy of -100#3)") {
		t.Errorf("transcript:\n%s", tr)
	}

	for _, tc := range []struct {
		v    url.Values
		want string
	}{
		{url.Values{"chat_id": {"-100"}, "from_chat_id": {"7"}, "message_id": {"99"}}, "Bad Request: message to copy not found"},
		{url.Values{"chat_id": {"-100"}, "from_chat_id": {"-555"}, "message_id": {"1"}}, "Bad Request: chat not found"},
		{url.Values{"chat_id": {"-555"}, "from_chat_id": {"7"}, "message_id": {"1"}}, "Bad Request: chat not found"},
		{url.Values{"chat_id": {"-100"}, "from_chat_id": {"7"}, "message_id": {"1"}, "reply_parameters": {`{"message_id":99}`}},
			"Bad Request: message to be replied not found"},
	} {
		if ok, desc, _ := call(tc.v); ok || desc != tc.want {
			t.Errorf("%v: ok %v, %q; want %q", tc.v, ok, desc, tc.want)
		}
	}
	fake.BlockBot(7)
	if ok, desc, _ := call(url.Values{"chat_id": {"7"}, "from_chat_id": {"-100"}, "message_id": {"3"}}); ok || !strings.Contains(desc, "blocked") {
		t.Errorf("a copy to a user who blocked the bot: ok %v, %q", ok, desc)
	}
	if n := len(fake.Messages(-100)); n != 3 {
		t.Errorf("%d messages in the group, want 3", n)
	}
}
