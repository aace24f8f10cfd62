package flows_test

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/memstore"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata")

// clock is a settable clock shared by the engine and the sandbox.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorder is a Messenger that keeps what was sent, per chat.
type recorder struct {
	mu        sync.Mutex
	sent      map[flows.ChatID][]flows.Message
	fail      error                  // when set, Send fails with it
	failChat  map[flows.ChatID]error // when set for a chat, Send to it fails with it
	failPhoto error                  // when set, sending a photo fails with it
	failCopy  error                  // when set, Copy fails with it (support_media_test.go)
	broken    []string               // texts with a missing key or argument
	tries     map[flows.ChatID]int   // sends tried per chat, failed or not
	// beforeSend, when set, is called before each Send, outside the lock.
	beforeSend func(ctx context.Context, chat flows.ChatID, m flows.Message)
}

func (r *recorder) Send(ctx context.Context, chat flows.ChatID, m flows.Message) error {
	r.mu.Lock()
	hook := r.beforeSend
	r.mu.Unlock()
	if hook != nil {
		hook(ctx, chat, m)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := ctx.Err(); err != nil { // as a real channel: nothing goes out on a done context
		return err
	}
	if r.tries == nil {
		r.tries = map[flows.ChatID]int{}
	}
	r.tries[chat]++
	if r.fail != nil {
		return r.fail
	}
	if err := r.failChat[chat]; err != nil {
		return err
	}
	if r.failPhoto != nil && m.Photo != nil {
		return r.failPhoto
	}
	if r.sent == nil {
		r.sent = map[flows.ChatID][]flows.Message{}
	}
	r.check(m)
	r.sent[chat] = append(r.sent[chat], m)
	return nil
}

// unrendered matches what a message shows of a key missing from the
// catalog, or of a placeholder without an argument.
var unrendered = regexp.MustCompile(`\[[a-z][a-z0-9_]*\]|<no value>`)

// check keeps the messages that show a missing key or argument.
func (r *recorder) check(m flows.Message) {
	texts := []string{m.Text}
	for _, row := range m.Buttons {
		for _, b := range row {
			texts = append(texts, b.Text)
		}
	}
	for _, s := range texts {
		if unrendered.MatchString(s) {
			r.broken = append(r.broken, s)
		}
	}
}

// tried returns how many sends to chat were tried, failed or not.
func (r *recorder) tried(chat flows.ChatID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tries[chat]
}

func (r *recorder) messages(chat flows.ChatID) []flows.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]flows.Message(nil), r.sent[chat]...)
}

// world is an engine on a memory store and the sandbox.
type world struct {
	t     testing.TB
	eng   *flows.Engine
	store *memstore.Store
	api   *reseller.Client
	sb    *sandbox.Server
	rec   *recorder
	clock *clock
	cfg   flows.Config
}

type worldOption func(*sandbox.Options, *flows.Config)

func newWorld(t testing.TB, opts ...worldOption) *world {
	t.Helper()
	return newWorldWrapped(t, nil, opts...)
}

// newWorldWrapped is newWorld whose engine uses wrap(the memory store),
// for a test that steps in between the engine and its store.
func newWorldWrapped(t testing.TB, wrap func(*memstore.Store) flows.Store, opts ...worldOption) *world {
	t.Helper()
	clk := &clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	sbOpts := sandbox.Options{Seed: 1, Now: clk.Now}
	cfg := flows.Config{Now: clk.Now, Sandbox: true, Agents: []flows.UserID{900}}
	for _, o := range opts {
		o(&sbOpts, &cfg)
	}
	sb := sandbox.New(sbOpts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	user, pass := sb.Credentials()
	api, err := reseller.New(reseller.Config{BaseURL: srv.URL + sb.Prefix(), Username: user, Password: pass, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: memstore.New(), api: api, sb: sb, rec: &recorder{}, clock: clk, cfg: cfg}
	t.Cleanup(func() {
		w.rec.mu.Lock()
		defer w.rec.mu.Unlock()
		for _, s := range w.rec.broken {
			t.Errorf("a message shows a missing key or argument: %q", s)
		}
	})
	var store flows.Store = w.store
	if wrap != nil {
		store = wrap(w.store)
	}
	w.eng, err = flows.New(cfg, store, api, w.rec, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// chat is one user talking to the engine, with a transcript.
type chat struct {
	w       *world
	id      flows.ChatID
	user    flows.UserID
	from    flows.Profile
	seen    int // messages already in the transcript
	log     strings.Builder
	outcome flows.Outcome
	// keyboard is the contact request whose share-number keyboard is open,
	// as a channel with reply keyboards shows it (see render).
	keyboard *flows.ContactRequest
}

func (w *world) chat(id int64, first, lang string) *chat {
	return &chat{w: w, id: flows.ChatID(id), user: flows.UserID(id), from: flows.Profile{FirstName: first, LanguageCode: lang}}
}

func (c *chat) handle(ev flows.Event, echo string) {
	c.w.t.Helper()
	ev.Chat, ev.User, ev.From = c.id, c.user, c.from
	if ev.Kind == flows.EventButton {
		ev.Origin = "the tapped message" // what the channel would put there
	}
	fmt.Fprintf(&c.log, "\n> %s\n", echo)
	out, err := c.w.eng.Handle(context.Background(), ev)
	if err != nil {
		c.w.t.Fatalf("Handle(%s): %v", echo, err)
	}
	c.outcome = out
	if out.Notice != "" {
		fmt.Fprintf(&c.log, "  (notice: %s)\n", out.Notice)
	}
	c.flush()
}

func (c *chat) flush() {
	msgs := c.w.rec.messages(c.id)
	for _, m := range msgs[c.seen:] {
		c.log.WriteString(c.render(m))
	}
	c.seen = len(msgs)
}

func (c *chat) command(cmd string) {
	c.w.t.Helper()
	name, args, _ := strings.Cut(strings.TrimPrefix(cmd, "/"), " ")
	c.handle(flows.Event{Kind: flows.EventCommand, Command: name, Args: args}, cmd)
}

func (c *chat) say(text string) {
	c.w.t.Helper()
	c.handle(flows.Event{Kind: flows.EventText, Text: text}, text)
}

func (c *chat) contact(phone string) {
	c.w.t.Helper()
	c.handle(flows.Event{Kind: flows.EventContact, Phone: phone}, "[contact "+phone+"]")
}

func (c *chat) press(data string) {
	c.w.t.Helper()
	// Stamps are random per conversation: the transcript shows "S".
	c.handle(flows.Event{Kind: flows.EventButton, Data: data}, "[raw button "+stampPattern.ReplaceAllString(data, "S.")+"]")
}

// tap presses the newest button whose label contains label.
func (c *chat) tap(label string) {
	c.w.t.Helper()
	data := c.button(label)
	c.handle(flows.Event{Kind: flows.EventButton, Data: data}, "[tap "+label+"]")
}

// button finds the data of the newest button whose label contains label.
func (c *chat) button(label string) string {
	c.w.t.Helper()
	msgs := c.w.rec.messages(c.id)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) && b.Data != "" {
					return b.Data
				}
			}
		}
	}
	c.w.t.Fatalf("no button %q in:\n%s", label, c.log.String())
	return ""
}

// last returns the newest message.
func (c *chat) last() flows.Message {
	msgs := c.w.rec.messages(c.id)
	if len(msgs) == 0 {
		c.w.t.Fatal("no message")
	}
	return msgs[len(msgs)-1]
}

// lastText returns the newest message's text.
func (c *chat) lastText() string { return c.last().Text }

// photos returns the photos sent so far.
func (c *chat) photos() []*flows.Photo {
	var out []*flows.Photo
	for _, m := range c.w.rec.messages(c.id) {
		if m.Photo != nil {
			out = append(out, m.Photo)
		}
	}
	return out
}

// render writes a message as the user sees it on a channel with reply
// keyboards, as package bot does on Telegram: a contact request opens a
// share-number keyboard, on a message of its own, never an edit; the next
// message of a conversation that no longer awaits a contact closes it,
// carrying the removal when it is plain text, or after a short message
// of its own (the request's Withdraw text) and then as a new message.
func (c *chat) render(m flows.Message) string {
	var b strings.Builder
	removed := false
	if c.keyboard != nil && m.Awaits == flows.InputText && m.Contact == nil && m.Photo == nil {
		if len(m.Buttons) > 0 || m.Replace != nil {
			fmt.Fprintf(&b, "< %s\n  {keyboard removed}\n", c.keyboard.Withdraw)
			m.Replace = nil
		} else {
			removed = true
		}
		c.keyboard = nil
	}
	verb := "<"
	if m.Replace != nil && m.Contact == nil && m.Photo == nil {
		verb = "< (edit)"
	}
	if m.Photo != nil {
		fmt.Fprintf(&b, "%s [photo %s]\n", verb, m.Photo.Name)
	}
	for i, line := range strings.Split(m.Text, "\n") {
		if i == 0 && m.Photo == nil {
			fmt.Fprintf(&b, "%s %s\n", verb, line)
		} else {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	for _, row := range m.Buttons {
		var cells []string
		for _, btn := range row {
			if btn.URL != "" {
				cells = append(cells, "["+btn.Text+" → "+btn.URL+"]")
			} else if btn.CopyText != "" {
				cells = append(cells, "["+btn.Text+" ⧉ "+btn.CopyText+"]")
			} else {
				cells = append(cells, "["+btn.Text+"]")
			}
		}
		fmt.Fprintf(&b, "  %s\n", strings.Join(cells, " "))
	}
	if m.Contact != nil {
		fmt.Fprintf(&b, "  {keyboard: %s}\n", m.Contact.Share)
		c.keyboard = m.Contact
	}
	if removed {
		b.WriteString("  {keyboard removed}\n")
	}
	return b.String()
}

var (
	refPattern   = regexp.MustCompile(`EB-[0-9A-Z]{6,}`)
	stampPattern = regexp.MustCompile(`^[0-9a-z]+\.`)
)

// golden compares the transcript with testdata/name.golden (rewritten with -update).
func (c *chat) golden(name string) {
	c.w.t.Helper()
	got := refPattern.ReplaceAllString(c.log.String(), "EB-REF")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			c.w.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			c.w.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		c.w.t.Fatalf("%v (run go test ./flows -update to create it)", err)
	}
	if got != string(want) {
		c.w.t.Errorf("transcript %s differs from %s (run go test ./flows -update after checking):\n%s", name, path, diffLines(string(want), got))
	}
}

// diffLines shows the first differing lines.
func diffLines(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, w, g)
		}
	}
	return "(same lines)"
}

func mustClient(t testing.TB, w *world) *reseller.Client {
	t.Helper()
	srv := httptest.NewServer(w.sb)
	t.Cleanup(srv.Close)
	user, pass := w.sb.Credentials()
	c, err := reseller.New(reseller.Config{BaseURL: srv.URL + w.sb.Prefix(), Username: user, Password: pass, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustCatalog() *locales.Catalog { return locales.MustNew() }
