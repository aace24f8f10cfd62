package telegramtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/bot/telegramtest"
)

const token = "123456:TEST-token"

// harness is a bot of the real library wired to a fake server.
type harness struct {
	fake    *telegramtest.Server
	bot     *bot.Bot
	updates chan *models.Update
	errs    chan error
}

// newHarness creates a bot on a fake server. Its default handler forwards
// every update to h.updates; extra options come after the defaults.
func newHarness(t *testing.T, opts ...bot.Option) *harness {
	t.Helper()
	h := &harness{
		fake:    telegramtest.NewServer(t, token),
		updates: make(chan *models.Update, 100),
		errs:    make(chan error, 100),
	}
	base := []bot.Option{
		bot.WithServerURL(h.fake.URL()),
		bot.WithSkipGetMe(),
		bot.WithNotAsyncHandlers(),
		bot.WithDefaultHandler(func(ctx context.Context, b *bot.Bot, u *models.Update) { h.updates <- u }),
		bot.WithErrorsHandler(func(err error) {
			select {
			case h.errs <- err:
			default:
			}
		}),
	}
	b, err := bot.New(token, append(base, opts...)...)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	h.bot = b
	return h
}

// poll runs the bot's long polling until the test ends.
func (h *harness) poll(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		h.bot.Start(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (h *harness) next(t *testing.T) *models.Update {
	t.Helper()
	select {
	case u := <-h.updates:
		return u
	case <-time.After(5 * time.Second):
		t.Fatal("no update reached the handler")
		return nil
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pngBytes(t *testing.T, size int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wantBadRequest(t *testing.T, err error, description string) {
	t.Helper()
	if !errors.Is(err, bot.ErrorBadRequest) {
		t.Fatalf("got error %v, want a bad request", err)
	}
	if !strings.Contains(err.Error(), description) {
		t.Fatalf("got error %q, want it to contain %q", err, description)
	}
}

func TestGetMe(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		fake := telegramtest.NewServer(t, token)
		b, err := bot.New(token, bot.WithServerURL(fake.URL())) // calls getMe
		if err != nil {
			t.Fatalf("bot.New: %v", err)
		}
		me, err := b.GetMe(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		if me.ID != 123456 || !me.IsBot || me.Username != telegramtest.BotUsername || me.FirstName == "" {
			t.Errorf("got %+v", me)
		}
		if got := fake.Calls("getMe"); got != 2 {
			t.Errorf("got %d getMe calls, want 2", got)
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		fake := telegramtest.NewServer(t, token)
		_, err := bot.New("123456:wrong", bot.WithServerURL(fake.URL()))
		if !errors.Is(err, bot.ErrorUnauthorized) {
			t.Fatalf("got %v, want unauthorized", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		h := newHarness(t)
		_, err := h.bot.GetChat(testContext(t), &bot.GetChatParams{ChatID: 1})
		if !errors.Is(err, bot.ErrorNotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	})
}

func TestPolling(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(1001, "Ada", "Lovelace", "ada", "fr")
	var commands sync.WaitGroup
	commands.Add(1)
	h.bot.RegisterHandler(bot.HandlerTypeMessageText, "start", bot.MatchTypeCommand, func(ctx context.Context, b *bot.Bot, u *models.Update) {
		defer commands.Done()
		if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: "Welcome, " + u.Message.From.FirstName}); err != nil {
			t.Errorf("send: %v", err)
		}
	})
	h.poll(t)

	id := h.fake.SendText(1001, 1001, "/start")
	ctx := testContext(t)
	msgs, err := h.fake.WaitFor(ctx, 1001, func(m []telegramtest.Message) bool { return len(m) == 2 })
	if err != nil {
		t.Fatal(err)
	}
	commands.Wait()
	if got := msgs[1]; !got.FromBot || got.Text != "Welcome, Ada" || got.ID != msgs[0].ID+1 {
		t.Errorf("got reply %+v", got)
	}
	// The library confirms the update with the offset of its next getUpdates.
	if err := h.fake.WaitUntil(ctx, func() bool { return h.fake.Confirmed() >= id }); err != nil {
		t.Fatalf("update %d never confirmed (confirmed %d): %v", id, h.fake.Confirmed(), err)
	}
	if p := h.fake.Pending(); len(p) != 0 {
		t.Errorf("got pending %v after confirmation", p)
	}

	// A plain text goes to the default handler, with the user's profile.
	h.fake.SendText(1001, 1001, "hello")
	u := h.next(t)
	if u.Message == nil || u.Message.Text != "hello" || u.Message.From.LanguageCode != "fr" || u.Message.Chat.Type != models.ChatTypePrivate {
		t.Errorf("got update %+v", u.Message)
	}
}

// TestConfirmedBeforeHandled shows a quirk of the library that the
// adapter must design around: Start confirms an update to Telegram (with
// the offset of its next getUpdates) before the handler has run.
func TestConfirmedBeforeHandled(t *testing.T) {
	h := newHarness(t)
	release := make(chan struct{})
	h.bot.RegisterHandler(bot.HandlerTypeMessageText, "slow", bot.MatchTypeExact, func(ctx context.Context, b *bot.Bot, u *models.Update) {
		<-release
	})
	h.poll(t)
	defer close(release)
	id := h.fake.SendText(50, 50, "slow")
	if err := h.fake.WaitUntil(testContext(t), func() bool { return h.fake.Confirmed() >= id }); err != nil {
		t.Fatalf("not confirmed while the handler runs: %v", err)
	}
}

func TestProcessUpdate(t *testing.T) {
	h := newHarness(t)
	id := h.fake.SendText(42, 42, "/usage now")
	var u models.Update
	if err := json.Unmarshal(h.fake.Update(id), &u); err != nil {
		t.Fatal(err)
	}
	h.bot.ProcessUpdate(context.Background(), &u) // synchronous with WithNotAsyncHandlers
	got := <-h.updates
	if got.ID != id || len(got.Message.Entities) != 1 || got.Message.Entities[0].Type != models.MessageEntityTypeBotCommand || got.Message.Entities[0].Length != len("/usage") {
		t.Errorf("got %+v", got.Message)
	}
}

func inlineKeyboard(rows ...[]models.InlineKeyboardButton) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func TestInlineKeyboardAndCallback(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(7, "Bob", "", "", "en")
	ctx := testContext(t)
	sent, err := h.bot.SendMessage(ctx, &bot.SendMessageParams{
		ChatID:    7,
		Text:      "<b>Pick</b> a plan",
		ParseMode: models.ParseModeHTML,
		ReplyMarkup: inlineKeyboard(
			[]models.InlineKeyboardButton{{Text: "1 GB", CallbackData: "p:1gb:v1"}, {Text: "3 GB", CallbackData: "p:3gb:v1"}},
			[]models.InlineKeyboardButton{{Text: "Help", URL: "https://example.com/help"}},
		),
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent.Text != "Pick a plan" || len(sent.Entities) != 1 || sent.Entities[0].Type != models.MessageEntityTypeBold || sent.ReplyMarkup == nil || len(sent.ReplyMarkup.InlineKeyboard) != 2 {
		t.Errorf("got sent message %+v", sent)
	}
	msg, ok := h.fake.Message(7, sent.ID)
	if !ok || msg.RawText != "<b>Pick</b> a plan" || msg.ParseMode != "HTML" {
		t.Fatalf("got recorded %+v", msg)
	}
	if b, ok := msg.Button("3 GB"); !ok || b.CallbackData != "p:3gb:v1" {
		t.Errorf("got button %+v", b)
	}

	updateID, queryID, err := h.fake.PressButtonText(7, 7, sent.ID, "3 GB")
	if err != nil {
		t.Fatal(err)
	}
	var u models.Update
	if err := json.Unmarshal(h.fake.Update(updateID), &u); err != nil {
		t.Fatal(err)
	}
	cq := u.CallbackQuery
	if cq == nil || cq.ID != queryID || cq.Data != "p:3gb:v1" || cq.Message.Message == nil || cq.Message.Message.ID != sent.ID {
		t.Fatalf("got callback query %+v", cq)
	}

	// Navigation edits the message; without reply_markup the keyboard goes.
	edited, err := h.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 7, MessageID: sent.ID, Text: "3 GB chosen"})
	if err != nil {
		t.Fatal(err)
	}
	if edited.Text != "3 GB chosen" || edited.EditDate == 0 || edited.ReplyMarkup != nil {
		t.Errorf("got edited %+v", edited)
	}
	_, err = h.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 7, MessageID: sent.ID, Text: "3 GB chosen"})
	wantBadRequest(t, err, "Bad Request: message is not modified")

	if _, err := h.bot.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: 7, MessageID: sent.ID,
		ReplyMarkup: inlineKeyboard([]models.InlineKeyboardButton{{Text: "Back", CallbackData: "back"}})}); err != nil {
		t.Fatal(err)
	}
	_, err = h.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 7, MessageID: sent.ID + 100, Text: "x"})
	wantBadRequest(t, err, "message to edit not found")

	msgs := h.fake.Messages(7)
	if len(msgs) != 1 || msgs[0].Text != "3 GB chosen" || msgs[0].Edited != 2 || msgs[0].Buttons()[0][0].Text != "Back" {
		t.Errorf("got messages %+v", msgs)
	}

	// Each query is answered once.
	if ok, err := h.bot.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: "Done"}); err != nil || !ok {
		t.Fatalf("answer: %v %v", ok, err)
	}
	_, err = h.bot.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: queryID})
	wantBadRequest(t, err, "query is too old and response timeout expired or query ID is invalid")
	_, err = h.bot.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: "nope"})
	wantBadRequest(t, err, "query ID is invalid")
	want := telegramtest.CallbackAnswer{CallbackQueryID: queryID, Text: "Done", ChatID: 7, MessageID: sent.ID, Data: "p:3gb:v1"}
	if got := h.fake.Answers(); len(got) != 1 || got[0] != want {
		t.Errorf("got answers %+v, want %+v", got, want)
	}

	if ok, err := h.bot.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: 7, MessageID: sent.ID}); err != nil || !ok {
		t.Fatalf("delete: %v", err)
	}
	if got := h.fake.Messages(7); len(got) != 0 {
		t.Errorf("got %d messages after delete", len(got))
	}
}

func TestInlineKeyboardValidation(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(7, "Bob", "", "", "en")
	h.fake.SendGroupText(-500, 7, "hi")
	tests := []struct {
		name   string
		chatID int64
		markup models.ReplyMarkup
		want   string
	}{
		{"OK64Bytes", 7, inlineKeyboard([]models.InlineKeyboardButton{{Text: "a", CallbackData: strings.Repeat("x", 64)}}), ""},
		{"OKTgURL", 7, inlineKeyboard([]models.InlineKeyboardButton{{Text: "a", URL: "tg://resolve?domain=esimbot_test_bot"}}), ""},
		{"ErrData65Bytes", 7, inlineKeyboard([]models.InlineKeyboardButton{{Text: "a", CallbackData: strings.Repeat("é", 33)}}), "BUTTON_DATA_INVALID"},
		// The library always sends "copy_text":{"text":""}: a button without
		// action (empty callback data is omitted) is a copy button Telegram refuses.
		{"ErrEmptyData", 7, inlineKeyboard([]models.InlineKeyboardButton{{Text: "a"}}), "BUTTON_COPY_TEXT_INVALID"},
		{"ErrURL", 7, inlineKeyboard([]models.InlineKeyboardButton{{Text: "a", URL: "ftp://example.com"}}), "BUTTON_URL_INVALID"},
		{"ErrURLNoHost", 7, inlineKeyboard([]models.InlineKeyboardButton{{Text: "a", URL: "example.com/x"}}), "BUTTON_URL_INVALID"},
		{"OKCopyText256", 7, rawKeyboard(`{"text":"a","copy_text":{"text":"` + strings.Repeat("é", 256) + `"}}`), ""},
		{"ErrCopyText257", 7, rawKeyboard(`{"text":"a","copy_text":{"text":"` + strings.Repeat("x", 257) + `"}}`), "BUTTON_COPY_TEXT_INVALID"},
		{"ErrCopyTextEmpty", 7, rawKeyboard(`{"text":"a","copy_text":{"text":""}}`), "BUTTON_COPY_TEXT_INVALID"},
		{"ErrCopyTextAndData", 7, rawKeyboard(`{"text":"a","callback_data":"x","copy_text":{"text":"y"}}`), "BUTTON_TYPE_INVALID"},
		{"ErrURLAndData", 7, rawKeyboard(`{"text":"a","callback_data":"x","url":"https://example.com"}`), "BUTTON_TYPE_INVALID"},
		{"ErrContactInGroup", -500, &models.ReplyKeyboardMarkup{Keyboard: [][]models.KeyboardButton{{{Text: "Share", RequestContact: true}}}}, "phone number can be requested in private chats only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.bot.SendMessage(testContext(t), &bot.SendMessageParams{ChatID: tt.chatID, Text: "x", ReplyMarkup: tt.markup})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantBadRequest(t, err, tt.want)
		})
	}
}

// rawKeyboard is an inline keyboard of one button given as JSON, as the
// library's models cannot send every button.
func rawKeyboard(button string) json.RawMessage {
	return json.RawMessage(`{"inline_keyboard":[[` + button + `]]}`)
}

func TestCopyTextButton(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(7, "Bob", "", "", "en")
	sent, err := h.bot.SendMessage(testContext(t), &bot.SendMessageParams{ChatID: 7, Text: "Your code",
		ReplyMarkup: rawKeyboard(`{"text":"Copy","copy_text":{"text":"LPA:1$smdp.example$ABC-123"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := h.fake.Message(7, sent.ID)
	if b, ok := msg.Button("Copy"); !ok || b.CopyText != "LPA:1$smdp.example$ABC-123" || b.CallbackData != "" || b.URL != "" {
		t.Errorf("got button %+v", b)
	}
	if _, _, err := h.fake.PressButtonText(7, 7, sent.ID, "Copy"); err == nil {
		t.Error("a copy button was pressed as a callback button")
	}
}

func TestReplyKeyboardContact(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(9, "Cy", "", "", "en")
	ctx := testContext(t)
	_, err := h.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: 9, Text: "Your WhatsApp number?", ReplyMarkup: &models.ReplyKeyboardMarkup{
		Keyboard:        [][]models.KeyboardButton{{{Text: "Share my number", RequestContact: true}}},
		OneTimeKeyboard: true, ResizeKeyboard: true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if h.fake.ReplyKeyboard(9) == nil {
		t.Fatal("no reply keyboard shown")
	}
	if b := h.fake.Messages(9)[0].Buttons(); len(b) != 1 || !b[0][0].RequestContact {
		t.Errorf("got buttons %+v", b)
	}
	id := h.fake.SendContact(9, 9, "2207000000")
	var u models.Update
	if err := json.Unmarshal(h.fake.Update(id), &u); err != nil {
		t.Fatal(err)
	}
	if c := u.Message.Contact; c == nil || c.PhoneNumber != "2207000000" || c.UserID != 9 {
		t.Errorf("got contact %+v", c)
	}
	if h.fake.ReplyKeyboard(9) != nil {
		t.Error("one-time keyboard still shown after the user's answer")
	}
	if _, err := h.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: 9, Text: "Thanks", ReplyMarkup: &models.ReplyKeyboardRemove{RemoveKeyboard: true}}); err != nil {
		t.Fatal(err)
	}
}

func TestPhoto(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(5, "Di", "", "", "en")
	ctx := testContext(t)
	qr := pngBytes(t, 512)
	sent, err := h.bot.SendPhoto(ctx, &bot.SendPhotoParams{
		ChatID:    5,
		Photo:     &models.InputFileUpload{Filename: "qr.png", Data: bytes.NewReader(qr)},
		Caption:   "Scan <i>me</i>",
		ParseMode: models.ParseModeHTML,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Photo) < 2 || sent.Caption != "Scan me" {
		t.Fatalf("got %+v", sent)
	}
	largest := sent.Photo[len(sent.Photo)-1]
	if largest.Width != 512 || largest.Height != 512 || largest.FileID == "" || largest.FileUniqueID == "" {
		t.Errorf("got largest size %+v", largest)
	}

	again, err := h.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: 5, Photo: &models.InputFileString{Data: largest.FileID}})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Photo[len(again.Photo)-1].FileID; got != largest.FileID {
		t.Errorf("got file_id %q on resend, want %q", got, largest.FileID)
	}
	msgs := h.fake.Messages(5)
	if len(msgs) < 2 || msgs[0].Photo.Reused || !msgs[1].Photo.Reused || !bytes.Equal(msgs[1].Photo.Data, qr) || msgs[0].Photo.Filename != "qr.png" {
		t.Errorf("got photos %+v / %+v", msgs[0].Photo, msgs[1].Photo)
	}

	t.Run("RetryNeedsFreshReader", func(t *testing.T) {
		// The upload's reader is consumed by the first attempt: a retry
		// after a 429 must build the params again.
		h.fake.FailNext("sendPhoto", 1, http.StatusTooManyRequests, 1)
		params := &bot.SendPhotoParams{ChatID: 5, Photo: &models.InputFileUpload{Filename: "qr.png", Data: bytes.NewReader(qr)}}
		_, err := h.bot.SendPhoto(ctx, params)
		var tooMany *bot.TooManyRequestsError
		if !errors.As(err, &tooMany) {
			t.Fatalf("got %v, want 429", err)
		}
		_, err = h.bot.SendPhoto(ctx, params)
		wantBadRequest(t, err, "file must be non-empty")
		params.Photo = &models.InputFileUpload{Filename: "qr.png", Data: bytes.NewReader(qr)}
		if _, err := h.bot.SendPhoto(ctx, params); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotAnImage", func(t *testing.T) {
		_, err := h.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: 5, Photo: &models.InputFileUpload{Filename: "qr.png", Data: strings.NewReader("not a png")}})
		wantBadRequest(t, err, "IMAGE_PROCESS_FAILED")
	})
	t.Run("ErrNoFilename", func(t *testing.T) {
		// A part without file name is a string field for the Bot API.
		_, err := h.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: 5, Photo: &models.InputFileUpload{Data: bytes.NewReader(qr)}})
		wantBadRequest(t, err, "wrong file identifier/HTTP URL specified")
	})
	t.Run("ErrUnknownFileID", func(t *testing.T) {
		_, err := h.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: 5, Photo: &models.InputFileString{Data: "AgACAgIAAxkDAAnope"}})
		wantBadRequest(t, err, "wrong file identifier/HTTP URL specified")
	})
	t.Run("ErrCaptionTooLong", func(t *testing.T) {
		_, err := h.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: 5, Photo: &models.InputFileString{Data: largest.FileID}, Caption: strings.Repeat("x", 1025)})
		wantBadRequest(t, err, "Bad Request: message caption is too long")
	})
	t.Run("EditCaption", func(t *testing.T) {
		m, err := h.bot.EditMessageCaption(ctx, &bot.EditMessageCaptionParams{ChatID: 5, MessageID: sent.ID, Caption: "Scanned"})
		if err != nil || m.Caption != "Scanned" {
			t.Fatalf("got %+v, %v", m, err)
		}
	})
}

func TestHTMLAndLimits(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(3, "Eve", "", "", "en")
	long := strings.Repeat("a", 4095)
	tests := []struct {
		name string
		text string
		mode models.ParseMode
		want string // error description part; "" for success
	}{
		{"OKAllTags", `<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>i</ins><s>s</s><strike>s</strike><del>d</del>` +
			`<a href="https://example.com/?a=1&amp;b=2">link</a><code>c</code><pre><code class="language-go">x := 1</code></pre>` +
			`<tg-spoiler>t</tg-spoiler><span class="tg-spoiler">s</span><blockquote>q</blockquote><blockquote expandable>q</blockquote>`, models.ParseModeHTML, ""},
		{"OKEntities", "Tom &amp; Jerry &lt;3 &quot;x&quot; &#39;y&#39; &#x1F600;", models.ParseModeHTML, ""},
		{"OKNested", "<b>bold <i>both</i></b>", models.ParseModeHTML, ""},
		{"OKExactly4096AfterParsing", "<b>" + long + "&amp;</b>", models.ParseModeHTML, ""},
		{"OKPlainWithSymbols", "a < b & c", "", ""},
		{"ErrTooLong", long + "ab", "", "Bad Request: message is too long"},
		{"ErrTooLongHTML", "<b>" + long + "</b>&amp;&amp;", models.ParseModeHTML, "Bad Request: message is too long"},
		{"ErrEmpty", "  \n ", "", "Bad Request: message text is empty"},
		{"ErrEmptyAfterParsing", "<b></b>", models.ParseModeHTML, "Bad Request: message text is empty"},
		{"ErrUnknownTag", "line<br>break", models.ParseModeHTML, `can't parse entities: Unsupported start tag "br" at byte offset 4`},
		{"ErrRawLess", "1 < 2", models.ParseModeHTML, `can't parse entities: Unsupported start tag "" at byte offset 2`},
		{"ErrRawAmp", "Tom & Jerry", models.ParseModeHTML, "can't parse entities: character '&' at byte offset 4"},
		{"ErrUnclosed", "<b>bold", models.ParseModeHTML, `can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"ErrMismatched", "<b><i>x</b></i>", models.ParseModeHTML, `can't parse entities: Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{"ErrUnexpectedEnd", "x</b>", models.ParseModeHTML, "can't parse entities: Unexpected end tag at byte offset 1"},
		{"ErrSpanClass", `<span class="x">y</span>`, models.ParseModeHTML, `Tag "span" must have class "tg-spoiler"`},
		{"ErrParseMode", "x", "Nope", "Bad Request: unsupported parse_mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.bot.SendMessage(testContext(t), &bot.SendMessageParams{ChatID: 3, Text: tt.text, ParseMode: tt.mode})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantBadRequest(t, err, tt.want)
		})
	}
	t.Run("Entities", func(t *testing.T) {
		m, err := h.bot.SendMessage(testContext(t), &bot.SendMessageParams{ChatID: 3, ParseMode: models.ParseModeHTML,
			Text: "\n 😀 <b>x</b> <a href=\"example.com\">y</a> <pre><code class=\"language-go\">z</code></pre>"})
		if err != nil {
			t.Fatal(err)
		}
		want := []models.MessageEntity{
			{Type: models.MessageEntityTypeBold, Offset: 3, Length: 1},
			{Type: models.MessageEntityTypeTextLink, Offset: 5, Length: 1, URL: "http://example.com"},
			{Type: models.MessageEntityTypePre, Offset: 7, Length: 1, Language: "go"},
		}
		if m.Text != "😀 x y z" || len(m.Entities) != len(want) {
			t.Fatalf("got %q %+v", m.Text, m.Entities)
		}
		for i := range want {
			if m.Entities[i] != want[i] {
				t.Errorf("got entity %+v, want %+v", m.Entities[i], want[i])
			}
		}
	})
}

func TestFaults(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(11, "Fay", "", "", "en")
	ctx := testContext(t)
	send := func() error {
		_, err := h.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: 11, Text: "hi"})
		return err
	}

	t.Run("TooManyRequests", func(t *testing.T) {
		h.fake.FailNext("sendMessage", 1, http.StatusTooManyRequests, 3)
		err := send()
		var tooMany *bot.TooManyRequestsError
		if !errors.As(err, &tooMany) {
			t.Fatalf("got %v (%T), want *bot.TooManyRequestsError", err, err)
		}
		if tooMany.RetryAfter != 3 {
			t.Errorf("got retry_after %d, want 3", tooMany.RetryAfter)
		}
		if err := send(); err != nil {
			t.Errorf("second send: %v", err)
		}
	})
	t.Run("Forbidden", func(t *testing.T) {
		h.fake.FailNext("SENDMESSAGE", 1, http.StatusForbidden, 0)
		if err := send(); !errors.Is(err, bot.ErrorForbidden) || !strings.Contains(err.Error(), "bot was blocked by the user") {
			t.Fatalf("got %v, want forbidden", err)
		}
	})
	t.Run("BlockedUser", func(t *testing.T) {
		h.fake.BlockBot(11)
		if err := send(); !errors.Is(err, bot.ErrorForbidden) {
			t.Fatalf("got %v, want forbidden", err)
		}
		h.fake.UnblockBot(11)
		if err := send(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("InternalServerError", func(t *testing.T) {
		h.fake.FailNext("sendMessage", 1, http.StatusInternalServerError, 0)
		if err := send(); err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") {
			t.Fatalf("got %v, want a 500 error", err)
		}
	})
	t.Run("BadGatewayHTML", func(t *testing.T) {
		h.fake.FailNext("sendMessage", 1, http.StatusBadGateway, 0)
		if err := send(); err == nil || !strings.Contains(err.Error(), "error decode response body") {
			t.Fatalf("got %v, want a decode error", err)
		}
	})
	t.Run("Stall", func(t *testing.T) {
		h.fake.StallNext("sendMessage", 1)
		sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := h.bot.SendMessage(sctx, &bot.SendMessageParams{ChatID: 11, Text: "hi"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the client's deadline", err)
		}
	})
	t.Run("ChatNotFound", func(t *testing.T) {
		_, err := h.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: 999, Text: "hi"})
		wantBadRequest(t, err, "Bad Request: chat not found")
	})
	// Failed calls change nothing but are counted.
	if got, want := len(h.fake.Messages(11)), 2; got != want {
		t.Errorf("got %d messages, want %d", got, want)
	}
	if got, want := h.fake.Calls("sendMessage"), 9; got != want {
		t.Errorf("got %d sendMessage calls, want %d", got, want)
	}
}

func TestCommandsAndActions(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(4, "Gus", "", "", "en")
	ctx := testContext(t)
	en := []models.BotCommand{{Command: "start", Description: "Start"}, {Command: "usage", Description: "Data left"}}
	fr := []models.BotCommand{{Command: "start", Description: "Commencer"}, {Command: "usage", Description: "Données restantes"}}
	for _, c := range []struct {
		lang string
		cmds []models.BotCommand
	}{{"", en}, {"fr", fr}} {
		if _, err := h.bot.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: c.cmds, LanguageCode: c.lang}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.bot.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: en[:1], Scope: &models.BotCommandScopeAllGroupChats{}}); err != nil {
		t.Fatal(err)
	}
	got := h.fake.Commands()
	if len(got) != 2 || got[""][1].Description != "Data left" || got["fr"][1].Description != "Données restantes" {
		t.Errorf("got commands %+v", got)
	}
	if g := h.fake.CommandsFor("all_group_chats", ""); len(g) != 1 {
		t.Errorf("got group commands %+v", g)
	}
	if list, err := h.bot.GetMyCommands(ctx, &bot.GetMyCommandsParams{LanguageCode: "fr"}); err != nil || len(list) != 2 {
		t.Errorf("getMyCommands: %+v %v", list, err)
	}
	_, err := h.bot.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Bad-Cmd", Description: "x"}}})
	wantBadRequest(t, err, "BOT_COMMAND_INVALID")

	for _, a := range []models.ChatAction{models.ChatActionTyping, models.ChatActionUploadPhoto} {
		if _, err := h.bot.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: 4, Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.fake.ChatActions(4); strings.Join(got, ",") != "typing,upload_photo" {
		t.Errorf("got actions %v", got)
	}
	_, err = h.bot.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: 4, Action: "dancing"})
	wantBadRequest(t, err, "wrong parameter action")
}

func TestDescriptions(t *testing.T) {
	h := newHarness(t)
	ctx := testContext(t)
	for _, d := range []struct{ lang, long, short string }{
		{"", "Buy a travel eSIM.", "Travel eSIMs"},
		{"fr", "Achetez une eSIM de voyage.", "eSIM de voyage"},
	} {
		if _, err := h.bot.SetMyDescription(ctx, &bot.SetMyDescriptionParams{Description: d.long, LanguageCode: d.lang}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.bot.SetMyShortDescription(ctx, &bot.SetMyShortDescriptionParams{ShortDescription: d.short, LanguageCode: d.lang}); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.fake.Description(""); got != "Buy a travel eSIM." {
		t.Errorf("default description %q", got)
	}
	if got := h.fake.ShortDescription("fr"); got != "eSIM de voyage" {
		t.Errorf("French short description %q", got)
	}
	if got := h.fake.Description("ar"); got != "" {
		t.Errorf("Arabic description %q, none was set", got)
	}
	if d, err := h.bot.GetMyDescription(ctx, &bot.GetMyDescriptionParams{LanguageCode: "fr"}); err != nil || d.Description != "Achetez une eSIM de voyage." {
		t.Errorf("getMyDescription: %+v, %v", d, err)
	}
	if d, err := h.bot.GetMyShortDescription(ctx, &bot.GetMyShortDescriptionParams{}); err != nil || d.ShortDescription != "Travel eSIMs" {
		t.Errorf("getMyShortDescription: %+v, %v", d, err)
	}
	// Telegram's limits: 512 characters, 120 for the short one (an emoji
	// outside the BMP counts twice, as UTF-16 does).
	if _, err := h.bot.SetMyDescription(ctx, &bot.SetMyDescriptionParams{Description: strings.Repeat("é", 512)}); err != nil {
		t.Errorf("512 characters refused: %v", err)
	}
	_, err := h.bot.SetMyDescription(ctx, &bot.SetMyDescriptionParams{Description: strings.Repeat("é", 513)})
	wantBadRequest(t, err, "description is too long")
	if _, err := h.bot.SetMyShortDescription(ctx, &bot.SetMyShortDescriptionParams{ShortDescription: strings.Repeat("x", 120)}); err != nil {
		t.Errorf("120 characters refused: %v", err)
	}
	_, err = h.bot.SetMyShortDescription(ctx, &bot.SetMyShortDescriptionParams{ShortDescription: strings.Repeat("🌍", 61)})
	wantBadRequest(t, err, "short description is too long")
	_, err = h.bot.SetMyDescription(ctx, &bot.SetMyDescriptionParams{Description: "x", LanguageCode: "fra"})
	wantBadRequest(t, err, "invalid language code specified")
	if got := h.fake.ShortDescription(""); got != strings.Repeat("x", 120) {
		t.Errorf("a refused call changed the short description to %q", got)
	}
}

func TestGroup(t *testing.T) {
	h := newHarness(t)
	h.poll(t)
	h.fake.SendGroupText(-1001234567890, 8, "/start@"+telegramtest.BotUsername)
	u := h.next(t)
	if u.Message.Chat.Type != models.ChatTypeSupergroup || u.Message.Chat.ID != -1001234567890 || u.Message.From.ID != 8 {
		t.Errorf("got %+v", u.Message)
	}
	if e := u.Message.Entities; len(e) != 1 || e[0].Length != len("/start@"+telegramtest.BotUsername) {
		t.Errorf("got entities %+v", e)
	}
}

func TestWebhook(t *testing.T) {
	h := newHarness(t, bot.WithWebhookSecretToken("s3cret"))
	ctx := testContext(t)

	// The bot's endpoint: checks the secret itself, as the library's
	// WebhookHandler answers 200 even to a wrong secret.
	handled := make(chan models.Update, 10)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var u models.Update
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		handled <- u
	}))
	t.Cleanup(endpoint.Close)

	if ok, err := h.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: endpoint.URL + "/tg", SecretToken: "s3cret"}); err != nil || !ok {
		t.Fatalf("setWebhook: %v %v", ok, err)
	}
	if u, secret, set := h.fake.Webhook(); !set || u != endpoint.URL+"/tg" || secret != "s3cret" {
		t.Errorf("got webhook %q %q %v", u, secret, set)
	}
	_, err := h.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: endpoint.URL, SecretToken: "not allowed!"})
	wantBadRequest(t, err, "secret token contains unallowed characters")

	id := h.fake.SendText(12, 12, "/start")
	info, err := h.bot.GetWebhookInfo(ctx)
	if err != nil || info.URL != endpoint.URL+"/tg" || info.PendingUpdateCount != 1 {
		t.Errorf("got webhook info %+v, %v", info, err)
	}

	t.Run("WrongSecret", func(t *testing.T) {
		status, err := h.fake.PostWebhookSecret(ctx, id, "guess")
		if err != nil || status != http.StatusUnauthorized {
			t.Fatalf("got %d, %v; want 401", status, err)
		}
		if p := h.fake.Pending(); len(p) != 1 {
			t.Errorf("got pending %v, want the update kept", p)
		}
	})
	t.Run("OK", func(t *testing.T) {
		status, err := h.fake.PostWebhook(ctx, id)
		if err != nil || status != http.StatusOK {
			t.Fatalf("got %d, %v; want 200", status, err)
		}
		if u := <-handled; u.ID != id || u.Message.Text != "/start" {
			t.Errorf("got %+v", u)
		}
		if p := h.fake.Pending(); len(p) != 0 {
			t.Errorf("got pending %v after delivery", p)
		}
	})
	t.Run("DeliverPending", func(t *testing.T) {
		a, b := h.fake.SendText(12, 12, "a"), h.fake.SendText(12, 12, "b")
		if n, err := h.fake.DeliverWebhook(ctx); err != nil || n != 2 {
			t.Fatalf("got %d, %v", n, err)
		}
		if u1, u2 := <-handled, <-handled; u1.ID != a || u2.ID != b {
			t.Errorf("got updates %d, %d; want %d, %d", u1.ID, u2.ID, a, b)
		}
	})
	t.Run("LibraryHandler", func(t *testing.T) {
		// bot.WebhookHandler drops a wrong secret silently, with 200.
		lib := httptest.NewServer(h.bot.WebhookHandler())
		t.Cleanup(lib.Close)
		if _, err := h.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: lib.URL, SecretToken: "s3cret"}); err != nil {
			t.Fatal(err)
		}
		id := h.fake.SendText(12, 12, "via library")
		if status, err := h.fake.PostWebhookSecret(ctx, id, "guess"); err != nil || status != http.StatusOK {
			t.Fatalf("got %d, %v", status, err)
		}
		select {
		case u := <-h.updates:
			t.Fatalf("update with a wrong secret handled: %+v", u)
		default:
		}
	})
	t.Run("ErrConflictWhilePolling", func(t *testing.T) {
		h.poll(t)
		for {
			select {
			case err := <-h.errs:
				if errors.Is(err, bot.ErrorConflict) {
					if !strings.Contains(err.Error(), "can't use getUpdates method while webhook is active") {
						t.Fatalf("got %v", err)
					}
					return
				}
				t.Logf("earlier error: %v", err) // the library handler's wrong secret
			case <-ctx.Done():
				t.Fatal("no conflict reported")
			}
		}
	})
	t.Run("Delete", func(t *testing.T) {
		if ok, err := h.bot.DeleteWebhook(ctx, &bot.DeleteWebhookParams{DropPendingUpdates: true}); err != nil || !ok {
			t.Fatalf("deleteWebhook: %v", err)
		}
		if _, _, set := h.fake.Webhook(); set {
			t.Error("webhook still set")
		}
		if p := h.fake.Pending(); len(p) != 0 {
			t.Errorf("got pending %v after drop_pending_updates", p)
		}
	})
}

// call is a raw Bot API request, for what the library does not expose.
func call(t *testing.T, fake *telegramtest.Server, method, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, fake.URL()+"/bot"+token+"/"+method, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s: %s: %v", method, data, err)
	}
	return resp.StatusCode, out
}

func TestRawRequests(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	fake.SetUser(20, "Hal", "", "", "en")
	t.Run("JSONBody", func(t *testing.T) {
		status, out := call(t, fake, "sendMessage", "application/json",
			`{"chat_id":20,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"Go","callback_data":"go"}]]}}`)
		if status != 200 || out["ok"] != true {
			t.Fatalf("got %d %v", status, out)
		}
		if b := fake.Messages(20)[0].Buttons(); len(b) != 1 || b[0][0].CallbackData != "go" {
			t.Errorf("got buttons %+v", b)
		}
	})
	t.Run("FormBody", func(t *testing.T) {
		form := url.Values{"chat_id": {"20"}, "text": {"<b>x</b>"}, "parse_mode": {"HTML"}}
		status, out := call(t, fake, "sendMessage", "application/x-www-form-urlencoded", form.Encode())
		if status != 200 || out["result"].(map[string]any)["text"] != "x" {
			t.Fatalf("got %d %v", status, out)
		}
	})
	t.Run("QueryString", func(t *testing.T) {
		status, _ := call(t, fake, "sendChatAction?chat_id=20&action=typing", "", "")
		if status != 200 {
			t.Fatalf("got %d", status)
		}
	})
	t.Run("ErrUnknownMethod", func(t *testing.T) {
		status, out := call(t, fake, "sendTelepathy", "", "")
		if status != 404 || out["description"] != "Not Found" || out["error_code"] != float64(404) {
			t.Fatalf("got %d %v", status, out)
		}
	})
	t.Run("Offsets", func(t *testing.T) {
		a := fake.SendText(20, 20, "a")
		b := fake.SendText(20, 20, "b")
		c := fake.SendText(20, 20, "c")
		ids := func(out map[string]any) []float64 {
			var got []float64
			for _, u := range out["result"].([]any) {
				got = append(got, u.(map[string]any)["update_id"].(float64))
			}
			return got
		}
		_, out := call(t, fake, "getUpdates?limit=2", "", "")
		if got := ids(out); len(got) != 2 || got[0] != float64(a) {
			t.Fatalf("got %v", got)
		}
		_, out = call(t, fake, "getUpdates?offset="+itoa(b), "", "") // confirms a
		if got := ids(out); len(got) != 2 || got[0] != float64(b) || fake.Confirmed() != a {
			t.Fatalf("got %v, confirmed %d", got, fake.Confirmed())
		}
		_, out = call(t, fake, "getUpdates?offset=-1", "", "") // the last one only
		if got := ids(out); len(got) != 1 || got[0] != float64(c) || fake.Confirmed() != b {
			t.Fatalf("got %v, confirmed %d", got, fake.Confirmed())
		}
		_, out = call(t, fake, "getUpdates?offset="+itoa(c+1), "", "")
		if got := ids(out); len(got) != 0 || fake.Confirmed() != c {
			t.Fatalf("got %v, confirmed %d", got, fake.Confirmed())
		}
	})
	t.Run("AllowedUpdates", func(t *testing.T) {
		fake.SendText(20, 20, "dropped")
		press, _ := fake.PressButton(20, 20, 1, "go")
		_, out := call(t, fake, "getUpdates", "application/json", `{"allowed_updates":["callback_query"]}`)
		res := out["result"].([]any)
		if len(res) != 1 || res[0].(map[string]any)["update_id"] != float64(press) {
			t.Fatalf("got %v", res)
		}
		call(t, fake, "getUpdates", "application/json", `{"offset":`+itoa(press+1)+`,"allowed_updates":[]}`)
	})
	t.Run("LongPoll", func(t *testing.T) {
		got := make(chan map[string]any)
		go func() {
			_, out := call(t, fake, "getUpdates?timeout=10", "", "")
			got <- out
		}()
		if err := fake.WaitUntil(testContext(t), fake.Polling); err != nil {
			t.Fatal(err)
		}
		id := fake.SendText(20, 20, "wake up")
		out := <-got // returns as soon as the update exists, long before 10 s
		if res := out["result"].([]any); len(res) != 1 || res[0].(map[string]any)["update_id"] != float64(id) {
			t.Fatalf("got %v", out)
		}
		call(t, fake, "getUpdates?offset="+itoa(id+1), "", "")
	})
	t.Run("Timeout", func(t *testing.T) {
		start := time.Now()
		_, out := call(t, fake, "getUpdates?timeout=1", "", "")
		if res := out["result"].([]any); len(res) != 0 || time.Since(start) < 900*time.Millisecond {
			t.Fatalf("got %v after %v", res, time.Since(start))
		}
	})
	t.Run("ErrConflictOtherGetUpdates", func(t *testing.T) {
		first := make(chan map[string]any)
		go func() {
			_, out := call(t, fake, "getUpdates?timeout=10", "", "")
			first <- out
		}()
		if err := fake.WaitUntil(testContext(t), fake.Polling); err != nil {
			t.Fatal(err)
		}
		_, _ = call(t, fake, "getUpdates?timeout=0", "", "")
		out := <-first
		if out["error_code"] != float64(409) || !strings.Contains(out["description"].(string), "terminated by other getUpdates request") {
			t.Fatalf("got %v", out)
		}
	})
}

func TestWaitForTimeout(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	fake.SendText(30, 30, "anyone?")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	msgs, err := fake.WaitFor(ctx, 30, func(m []telegramtest.Message) bool { return len(telegramtest.FromBot(m)) > 0 })
	if !errors.Is(err, context.Canceled) || len(msgs) != 1 || !strings.Contains(err.Error(), "#1 user 30: anyone?") {
		t.Fatalf("got %v, %v", msgs, err)
	}
}

func itoa(n int64) string { return strconvFormat(n) }

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

// TestStallAfter: the call is carried out (the message is in the chat) and
// its answer never comes.
func TestStallAfter(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(12, "Ida", "", "", "en")
	h.fake.StallAfterNext("sendMessage", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := h.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: 12, Text: "delivered, answer lost"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the client's deadline", err)
	}
	msgs := h.fake.Messages(12)
	if len(msgs) != 1 || msgs[0].Text != "delivered, answer lost" {
		t.Fatalf("messages %+v, want the one sent", msgs)
	}
	if _, err := h.bot.SendMessage(testContext(t), &bot.SendMessageParams{ChatID: 12, Text: "next"}); err != nil {
		t.Fatalf("the next call: %v", err)
	}
}
