package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/storage"
)

const token = "123456:TEST-token-SECRET"

// scripted is an engine that answers every event with one message, and
// panics on the text "boom".
type scripted struct {
	msg flows.Messenger

	mu     sync.Mutex
	events []flows.Event
}

func (s *scripted) Handle(ctx context.Context, ev flows.Event) (flows.Outcome, error) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	if ev.Text == "boom" {
		panic("boom")
	}
	reply := html.EscapeString(fmt.Sprintf("got %d %q %q %q", ev.Kind, ev.Command+ev.Text+ev.Data+ev.Phone, ev.Args, ev.From.FirstName))
	m := flows.Message{Text: reply, Buttons: [][]flows.Button{{{Text: "Again", Data: "g.again"}}}}
	if ev.Kind == flows.EventButton {
		m.Replace = ev.Origin
	}
	if ev.Text == "long" {
		m.Text = strings.Repeat("line of text &amp; more\n", 400)
	}
	if ev.Text == "photo" {
		m.Photo = &flows.Photo{QR: "LPA:1$smdp.example.com$K1", Key: "K1", Name: "qr.png"}
		m.Text = "your <b>QR</b>"
	}
	if ev.Text == "contact" {
		m.Contact = &flows.ContactRequest{Share: "Share my number", Withdraw: "OK."}
	}
	return flows.Outcome{Notice: "noted"}, s.msg.Send(ctx, ev.Chat, m)
}

func (s *scripted) seen() []flows.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]flows.Event(nil), s.events...)
}

// harness runs a bot on the fake Bot API.
type harness struct {
	t     testing.TB
	fake  *telegramtest.Server
	bot   *bot.Bot
	eng   *scripted
	store *storage.Store
	logs  *syncBuffer
	stop  func()
	// beforeClose runs after the bot stopped, before the store closes.
	beforeClose func()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func start(t testing.TB, tune func(*bot.Config)) *harness {
	t.Helper()
	fake := telegramtest.NewServer(t, token)
	st, err := storage.Open(filepath.Join(t.TempDir(), "bot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: fake, store: st, logs: &syncBuffer{}}
	cfg := bot.Config{Token: token, ServerURL: fake.URL(), PollTimeout: 2 * time.Second,
		Logger:     slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		GlobalRate: 1000, ChatRate: 1000, GlobalBurst: 1000, ChatBurst: 1000}
	if tune != nil {
		tune(&cfg)
	}
	h.bot, err = bot.New(cfg, st, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	h.eng = &scripted{msg: h.bot.Messenger()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.bot.Run(ctx, h.eng, 5*time.Second) }()
	h.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if h.beforeClose != nil {
			h.beforeClose()
		}
		st.Close()
	})
	t.Cleanup(h.stop)
	return h
}

func (h *harness) wait(chat int64, pred func([]telegramtest.Message) bool) []telegramtest.Message {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := h.fake.WaitFor(ctx, chat, pred)
	if err != nil {
		h.t.Fatal(err)
	}
	return msgs
}

// botSaid waits until a bot message of chat contains s.
func (h *harness) botSaid(chat int64, s string) telegramtest.Message {
	h.t.Helper()
	var found telegramtest.Message
	h.wait(chat, func(msgs []telegramtest.Message) bool {
		for _, m := range msgs {
			if m.FromBot && (strings.Contains(m.Text, s) || strings.Contains(m.Caption, s)) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

func TestMessagesAndCommands(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(11, "Ada", "Lovelace", "ada", "fr")
	h.fake.SendText(11, 11, "/start FRA")
	h.botSaid(11, `got 1 "start" "FRA" "Ada"`)
	h.fake.SendText(11, 11, "/usage@"+telegramtest.BotUsername+" 8944")
	h.botSaid(11, `"usage" "8944"`)
	h.fake.SendText(11, 11, "/start@another_bot")
	h.fake.SendText(11, 11, "hello <b>")
	h.botSaid(11, `got 2 "hello <b>"`) // the fake shows the text without tags, entities decoded
	h.fake.SendContact(11, 11, "+2207000000")
	h.botSaid(11, `got 4 "+2207000000"`)
	for _, ev := range h.eng.seen() {
		if ev.Command == "start" && ev.Args == "" {
			t.Error("a command for another bot was handled")
		}
		if ev.MessageID == 0 { // the support desk knows a message handled again by it
			t.Errorf("event %+v without its message's ID", ev)
		}
	}
	// The command menu is set in every language, and the default (in the
	// background: the messages above were answered meanwhile).
	menus := func() (missing []string) {
		for _, lang := range []string{"", "en", "fr", "ar"} {
			if len(h.fake.Commands()[lang]) == 0 && len(h.fake.CommandsFor("default", lang)) == 0 {
				missing = append(missing, lang)
			}
		}
		return missing
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.fake.WaitUntil(ctx, func() bool { return len(menus()) == 0 }); err != nil {
		t.Errorf("no command menu for %q: %v", menus(), h.fake.Commands())
	}
}

func TestButtonEditsAndIsAnswered(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(12, "Bob", "", "", "en")
	h.fake.SendText(12, 12, "hi")
	m := h.botSaid(12, `"hi"`)
	_, cb := h.fake.PressButton(12, 12, m.ID, "g.again")
	h.wait(12, func(msgs []telegramtest.Message) bool {
		for _, x := range msgs {
			if x.ID == m.ID && x.Edited > 0 && strings.Contains(x.Text, `"g.again"`) {
				return true
			}
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.fake.WaitUntil(ctx, func() bool { return h.fake.Answered(cb) }); err != nil {
		t.Fatal("button press not answered")
	}
	for _, a := range h.fake.Answers() {
		if a.CallbackQueryID == cb && a.Text != "noted" {
			t.Errorf("answer %+v", a)
		}
	}
}

func TestOrderPerChatAndParallelChats(t *testing.T) {
	h := start(t, nil)
	for c := int64(100); c < 110; c++ {
		h.fake.SetUser(c, "U", "", "", "en")
	}
	for i := range 5 {
		for c := int64(100); c < 110; c++ {
			h.fake.SendText(c, c, fmt.Sprintf("m%d", i))
		}
	}
	for c := int64(100); c < 110; c++ {
		h.botSaid(c, `"m4"`)
	}
	last := map[flows.ChatID]int{}
	for _, ev := range h.eng.seen() {
		var n int
		fmt.Sscanf(ev.Text, "m%d", &n)
		if prev, ok := last[ev.Chat]; ok && n != prev+1 {
			t.Errorf("chat %d: m%d after m%d", ev.Chat, n, prev)
		}
		last[ev.Chat] = n
	}
}

func TestPanicIsRecoveredAndOthersServed(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(21, "P", "", "", "en")
	h.fake.SetUser(22, "Q", "", "", "en")
	h.fake.SendText(21, 21, "boom")
	h.fake.SendText(22, 22, "fine")
	h.fake.SendText(21, 21, "after")
	h.botSaid(22, `"fine"`)
	h.botSaid(21, `"after"`)
	if !strings.Contains(h.logs.String(), "panic while handling an update") || !strings.Contains(h.logs.String(), "update skipped after repeated panics") {
		t.Errorf("panic not logged:\n%s", h.logs.String())
	}
	booms := 0
	for _, ev := range h.eng.seen() {
		if ev.Text == "boom" {
			booms++
		}
	}
	if booms != 3 {
		t.Errorf("the panicking update was tried %d times, want 3", booms)
	}
	// Once the bot has stopped (and drained), nothing is left in the inbox.
	pendingAtStop := -1
	h.beforeClose = func() {
		p, _ := h.store.PendingUpdates(context.Background(), h.fake.BotID())
		pendingAtStop = len(p)
	}
	h.stop()
	if pendingAtStop != 0 {
		t.Errorf("%d updates left in the inbox", pendingAtStop)
	}
}

func TestTooManyRequestsIsWaitedOut(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(31, "R", "", "", "en")
	h.fake.FailNext("sendMessage", 1, 429, 1)
	began := time.Now()
	h.fake.SendText(31, 31, "slow")
	h.botSaid(31, `"slow"`)
	if took := time.Since(began); took < time.Second {
		t.Errorf("delivered after %v, before retry_after", took)
	}
	if n := h.fake.Calls("sendMessage"); n != 2 {
		t.Errorf("sendMessage called %d times, want 2", n)
	}
}

func TestBlockedUserIsMarked(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(41, "S", "", "", "en")
	if err := h.store.SaveUser(context.Background(), flows.User{ID: 41}); err != nil {
		t.Fatal(err)
	}
	h.fake.SendText(41, 41, "first")
	h.botSaid(41, `"first"`)
	h.fake.BlockBot(41)
	err := h.bot.Messenger().Send(context.Background(), 41, flows.Message{Text: "anyone there?"})
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("send to a blocked user: %v", err)
	}
	if !errors.Is(err, flows.ErrBlocked) || !errors.Is(err, flows.ErrRefused) {
		t.Errorf("send to a blocked user: %v, want it to wrap flows.ErrBlocked and flows.ErrRefused", err)
	}
	u, _ := h.store.User(context.Background(), 41)
	if !u.Blocked {
		t.Error("user not marked blocked")
	}
}

func TestLongTextPhotoAndContact(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(51, "T", "", "", "en")
	h.fake.SendText(51, 51, "long")
	msgs := h.wait(51, func(msgs []telegramtest.Message) bool { return len(telegramtest.FromBot(msgs)) >= 2 })
	for _, m := range telegramtest.FromBot(msgs) {
		if len([]rune(m.Text)) > 4096 {
			t.Errorf("a message of %d characters", len([]rune(m.Text)))
		}
	}
	h.fake.SendText(51, 51, "photo")
	first := h.botSaid(51, "your QR")
	if first.Photo == nil || first.Photo.Reused {
		t.Fatalf("photo %+v", first.Photo)
	}
	h.fake.SendText(51, 51, "photo")
	h.wait(51, func(msgs []telegramtest.Message) bool {
		for _, m := range msgs {
			if m.Photo != nil && m.Photo.Reused {
				return true
			}
		}
		return false
	})
	h.fake.SendText(51, 51, "contact")
	h.wait(51, func([]telegramtest.Message) bool { return len(h.fake.ReplyKeyboard(51)) > 0 })
}

func TestGroupPointsToPrivateChat(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(61, "G", "", "", "en")
	h.fake.SendGroupText(-1001, 61, "just chatting")
	h.fake.SendGroupText(-1001, 61, "/start")
	m := h.botSaid(-1001, "private chat")
	rows := m.Buttons()
	if len(rows) != 1 || len(rows[0]) != 1 || !strings.Contains(rows[0][0].URL, "t.me/"+telegramtest.BotUsername+"?start=") {
		t.Errorf("buttons %+v", rows)
	}
	for _, ev := range h.eng.seen() {
		if ev.Chat == -1001 {
			t.Error("a group message reached the engine")
		}
	}
}

func TestWebhook(t *testing.T) {
	const secret = "s3cret_webhook-TOKEN"
	var h *harness
	srv := httptest.NewServer(nil)
	defer srv.Close()
	h = start(t, func(c *bot.Config) { c.WebhookURL = srv.URL + "/hook"; c.WebhookSecret = secret })
	srv.Config.Handler = h.bot.WebhookHandler()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.fake.WaitUntil(ctx, func() bool { _, _, set := h.fake.Webhook(); return set }); err != nil {
		t.Fatal("webhook not registered")
	}
	if _, s, _ := h.fake.Webhook(); s != secret {
		t.Errorf("registered secret %q", s)
	}
	h.fake.SetUser(71, "W", "", "", "en")
	id := h.fake.SendText(71, 71, "via webhook")
	status, err := h.fake.PostWebhookSecret(ctx, id, "wrong-secret-value")
	if err != nil || status != 401 {
		t.Fatalf("wrong secret: %d, %v", status, err)
	}
	if len(h.eng.seen()) != 0 {
		t.Fatal("an update with a wrong secret was handled")
	}
	status, err = h.fake.PostWebhook(ctx, id)
	if err != nil || status != 200 {
		t.Fatalf("right secret: %d, %v", status, err)
	}
	h.botSaid(71, `"via webhook"`)
	// Delivered twice: handled once.
	if status, _ := h.fake.PostWebhook(ctx, id); status != 200 {
		t.Errorf("redelivery: %d", status)
	}
	h.fake.SendText(71, 71, "second")
	if _, err := h.fake.DeliverWebhook(ctx); err != nil {
		t.Fatal(err)
	}
	h.botSaid(71, `"second"`)
	n := 0
	for _, ev := range h.eng.seen() {
		if ev.Text == "via webhook" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("handled %d times", n)
	}
}

func TestInboxLeftoversAreHandledFirst(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	path := filepath.Join(t.TempDir(), "bot.db")
	st, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// An update stored by a bot that stopped before handling it.
	fake.SetUser(81, "L", "", "", "en")
	raw := fake.Update(fake.SendText(81, 81, "left over"))
	var upd struct {
		ID int64 `json:"update_id"`
	}
	if err := json.Unmarshal(raw, &upd); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutUpdate(context.Background(), fake.BotID(), upd.ID, raw); err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Token: token, ServerURL: fake.URL(), PollTimeout: 2 * time.Second}, st, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	eng := &scripted{msg: b.Messenger()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, eng, time.Second) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if _, err := fake.WaitFor(wctx, 81, func(msgs []telegramtest.Message) bool {
		for _, m := range msgs {
			if m.FromBot && strings.Contains(m.Text, "left over") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	st.Close()
	if n := len(eng.seen()); n != 1 {
		t.Errorf("handled %d times (the inbox and the poll): want once", n)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := bot.New(bot.Config{}, nil, nil, locales.MustNew()); err == nil {
		t.Error("no token accepted")
	}
	if _, err := bot.New(bot.Config{Token: token, WebhookURL: "https://x"}, nil, nil, locales.MustNew()); err == nil {
		t.Error("webhook without a secret accepted")
	}
	for _, tok := range []string{"abc:TEST", "0:TEST", "-5:TEST", "TEST"} {
		if _, err := bot.New(bot.Config{Token: tok}, nil, nil, locales.MustNew()); err == nil {
			t.Errorf("token %q without a bot ID accepted", tok)
		}
	}
}

func TestRedactSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(bot.RedactSecrets(slog.NewJSONHandler(&buf, nil), token, "hunter2"))
	log.With("cfg", "pw=hunter2").Error("failed for "+token, "err", fmt.Errorf("GET /bot%s/getMe: refused", token),
		slog.Group("g", "x", "hunter2"), "v", struct{ S string }{token})
	if strings.Contains(buf.String(), token) || strings.Contains(buf.String(), "hunter2") {
		t.Errorf("secret logged: %s", buf.String())
	}
	if strings.Count(buf.String(), "***") < 5 {
		t.Errorf("redactions missing: %s", buf.String())
	}
}

func TestCopyButton(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(52, "C", "", "", "en")
	h.fake.SendText(52, 52, "hi")
	h.botSaid(52, `"hi"`) // the bot runs: stopping it will not cut its start short
	const code = "LPA:1$smdp.example.com$K2-ABC-123"
	err := h.bot.Messenger().Send(context.Background(), 52, flows.Message{Text: "Your eSIM", Buttons: [][]flows.Button{
		{{Text: "Copy the code", CopyText: code}},
		{{Text: "Both", Data: "g.both", CopyText: "ignored"}},
		{{Text: "Too long", CopyText: strings.Repeat("x", 257)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := h.botSaid(52, "Your eSIM")
	rows := m.Buttons()
	want := [][]telegramtest.Button{
		{{Text: "Copy the code", CopyText: code}},
		{{Text: "Both", CallbackData: "g.both"}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}
}

// runOn runs a bot with token on fake and st until the test ends or the
// returned function is called.
func runOn(t *testing.T, token string, fake *telegramtest.Server, st *storage.Store, tune func(*bot.Config)) (*bot.Bot, *scripted, *syncBuffer, func()) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := bot.Config{Token: token, ServerURL: fake.URL(), PollTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if tune != nil {
		tune(&cfg)
	}
	b, err := bot.New(cfg, st, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	eng := &scripted{msg: b.Messenger()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, eng, 5*time.Second) }()
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(stop)
	return b, eng, logs, stop
}

// TestUpdatesKeyedByBot: a data file reused with another bot token handles
// that bot's updates, though Telegram numbers them like the first bot's;
// a redelivered update is dropped and logged at debug level.
func TestUpdatesKeyedByBot(t *testing.T) {
	st, err := storage.Open(filepath.Join(t.TempDir(), "bot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const tokenA, tokenB = "111:TEST-bot-A-SECRET", "222:TEST-bot-B-SECRET"
	fakeA, fakeB := telegramtest.NewServer(t, tokenA), telegramtest.NewServer(t, tokenB)
	wait := func(fake *telegramtest.Server, chat int64, s string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := fake.WaitFor(ctx, chat, func(msgs []telegramtest.Message) bool {
			for _, m := range msgs {
				if m.FromBot && strings.Contains(m.Text, s) {
					return true
				}
			}
			return false
		}); err != nil {
			t.Fatal(err)
		}
	}

	_, _, _, stopA := runOn(t, tokenA, fakeA, st, nil)
	fakeA.SetUser(1, "A", "", "", "en")
	idA := fakeA.SendText(1, 1, "to bot A")
	wait(fakeA, 1, `"to bot A"`)
	stopA()

	// Bot B on the same file, in webhook mode to deliver an update twice.
	const secret = "s3cret_webhook-TOKEN"
	srv := httptest.NewServer(nil)
	defer srv.Close()
	b, eng, logs, _ := runOn(t, tokenB, fakeB, st, func(c *bot.Config) { c.WebhookURL = srv.URL + "/hook"; c.WebhookSecret = secret })
	srv.Config.Handler = b.WebhookHandler()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fakeB.WaitUntil(ctx, func() bool { _, _, set := fakeB.Webhook(); return set }); err != nil {
		t.Fatal("webhook not registered")
	}
	fakeB.SetUser(2, "B", "", "", "en")
	idB := fakeB.SendText(2, 2, "to bot B")
	if idA != idB {
		t.Fatalf("update IDs %d and %d: the test needs them equal", idA, idB)
	}
	for range 2 {
		if status, err := fakeB.PostWebhook(ctx, idB); err != nil || status != 200 {
			t.Fatalf("webhook: %d, %v", status, err)
		}
	}
	wait(fakeB, 2, `"to bot B"`)
	if n := len(eng.seen()); n != 1 {
		t.Errorf("bot B handled %d events, want 1", n)
	}
	if want := fmt.Sprintf(`level=DEBUG msg="duplicate update dropped" update=%d`, idB); !strings.Contains(logs.String(), want) {
		t.Errorf("no %q in the logs:\n%s", want, logs)
	}
}

// TestDescriptionsPerLanguage: at start the bot sets its description and
// short description in every catalog language, and English as the
// default; a restart sets nothing that is already so; failures are
// warnings.
func TestDescriptionsPerLanguage(t *testing.T) {
	st, err := storage.Open(filepath.Join(t.TempDir(), "bot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fake := telegramtest.NewServer(t, token)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cat := locales.MustNew()
	want := map[string][2]string{}
	for _, lang := range []string{"", "en", "fr", "ar"} {
		loc := cat.For(lang)
		want[lang] = [2]string{loc.Plain("bot_description"), loc.Plain("bot_short_description")}
	}
	described := func() bool {
		for lang, w := range want {
			if fake.Description(lang) != w[0] || fake.ShortDescription(lang) != w[1] {
				return false
			}
		}
		return true
	}
	_, _, _, stop := runOn(t, token, fake, st, nil)
	if err := fake.WaitUntil(ctx, described); err != nil {
		for lang := range want {
			t.Errorf("%q: description %q, short %q", lang, fake.Description(lang), fake.ShortDescription(lang))
		}
		t.Fatal(err)
	}
	if want["fr"][0] == want[""][0] || want["ar"][1] == want[""][1] {
		t.Error("the French or Arabic texts are the English ones")
	}
	if err := fake.WaitUntil(ctx, fake.Polling); err != nil { // started, not stopped mid-way
		t.Fatal(err)
	}
	stop()

	// A restart finds them set and sets nothing again.
	sets := fake.Calls("setMyDescription") + fake.Calls("setMyShortDescription")
	gets := fake.Calls("getMyShortDescription")
	_, _, _, stop = runOn(t, token, fake, st, nil)
	if err := fake.WaitCalls(ctx, "getMyShortDescription", gets+len(want)); err != nil { // past the descriptions
		t.Fatal(err)
	}
	stop() // Run returns once the descriptions are done
	if n := fake.Calls("setMyDescription") + fake.Calls("setMyShortDescription"); n != sets {
		t.Errorf("%d set calls after a restart, want %d", n, sets)
	}

	// Telegram refusing them does not stop the bot.
	other := telegramtest.NewServer(t, token)
	other.FailNext("setMyDescription", 4, 400, 0)
	other.FailNext("getMyShortDescription", 4, 502, 0)
	_, _, logs, _ := runOn(t, token, other, st, nil)
	other.SetUser(5, "E", "", "", "en")
	other.SendText(5, 5, "still here")
	if _, err := other.WaitFor(ctx, 5, func(msgs []telegramtest.Message) bool { return len(telegramtest.FromBot(msgs)) > 0 }); err != nil {
		t.Fatal(err)
	}
	// The descriptions are set in the background: the bot answered meanwhile.
	if err := other.WaitUntil(ctx, func() bool {
		return strings.Contains(logs.String(), `level=WARN msg="set the bot description"`) && other.ShortDescription("fr") == want["fr"][1]
	}); err != nil {
		t.Errorf("no warning for the refused description, or short description not set after a failed get (%q):\n%s", other.ShortDescription("fr"), logs)
	}
}

// TestCommandMenuPaySupport: the command menu lists /paysupport only when
// customers pay in the chat; /terms and the rest are always there.
func TestCommandMenuPaySupport(t *testing.T) {
	for _, payments := range []bool{false, true} {
		h := start(t, func(c *bot.Config) { c.Payments = payments })
		h.fake.SetUser(13, "Ada", "", "", "en")
		h.fake.SendText(13, 13, "hi")
		h.botSaid(13, `"hi"`) // the bot runs: its menu is set
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := h.fake.WaitUntil(ctx, func() bool { return len(h.fake.Commands()) == 4 }); err != nil {
			t.Fatalf("menus set: %v", h.fake.Commands())
		}
		cancel()
		for lang, list := range h.fake.Commands() {
			var names []string
			for _, c := range list {
				names = append(names, c.Command)
			}
			joined := " " + strings.Join(names, " ") + " "
			if strings.Contains(joined, " paysupport ") != payments || !strings.Contains(joined, " terms ") {
				t.Errorf("payments %t, menu %q: %s", payments, lang, joined)
			}
		}
	}
}
