package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

const testToken = "987654:TEST-run-token-SECRET"

// running is a whole esimbot started with "run" on the fake Bot API.
type running struct {
	t      *testing.T
	fake   *telegramtest.Server
	sb     *sandbox.Server
	db     string
	http   string // the address of /healthz and friends
	stderr *syncBuffer
	stop   func() int
}

func startRun(t *testing.T, fake *telegramtest.Server, sb *sandbox.Server, db string, env map[string]string, tune ...func(*Main)) *running {
	t.Helper()
	r := &running{t: t, fake: fake, sb: sb, db: db, stderr: &syncBuffer{}}
	vars := map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_API_URL": fake.URL(), "ESIMBOT_DB": db,
		"ESIMBOT_LISTEN": "127.0.0.1:0", "ESIMBOT_LOG_FORMAT": "json", "ESIMBOT_LOG_LEVEL": "debug",
	}
	for k, v := range env {
		vars[k] = v
	}
	addrc := make(chan string, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: r.stderr,
		Getenv:      func(k string) string { return vars[k] },
		OnListen:    func(_, a string) { addrc <- a },
		pollTimeout: 2 * time.Second, sandbox: sb,
		tuneBot: func(c *bot.Config) {
			c.GlobalRate, c.ChatRate, c.GlobalBurst, c.ChatBurst = 1000, 1000, 1000, 1000
			c.SendTimeout = 2 * time.Second // a stalled send gives up quickly
		},
	}
	for _, f := range tune {
		f(m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"run"}) }()
	select {
	case r.http = <-addrc:
	case code := <-done:
		t.Fatalf("exited %d before listening:\n%s", code, r.stderr)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening after 10 s")
	}
	r.stop = sync.OnceValue(func() int { cancel(); return <-done })
	t.Cleanup(func() { r.stop() })
	// Ready once polling has begun.
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := fake.WaitUntil(wctx, fake.Polling); err != nil {
		t.Fatalf("not polling: %v\n%s", err, r.stderr)
	}
	return r
}

// tgChat is a Telegram user talking to the bot through the fake.
type tgChat struct {
	t       *testing.T
	fake    *telegramtest.Server
	id      int64
	matched map[[2]int]bool      // bot message versions already expected
	ready   telegramtest.Message // the installation text of the last purchase
}

func newChat(t *testing.T, fake *telegramtest.Server, id int64, name, lang string) *tgChat {
	fake.SetUser(id, name, "", "", lang)
	return &tgChat{t: t, fake: fake, id: id, matched: map[[2]int]bool{}}
}

// say sends text as the user and returns its update's ID.
func (c *tgChat) say(text string) int64 { return c.fake.SendText(c.id, c.id, text) }

// expect waits for a bot message (or a new version of one) containing s.
func (c *tgChat) expect(s string) telegramtest.Message {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var found telegramtest.Message
	_, err := c.fake.WaitFor(ctx, c.id, func(msgs []telegramtest.Message) bool {
		for _, m := range msgs {
			key := [2]int{m.ID, m.Edited}
			if m.FromBot && !c.matched[key] && (strings.Contains(m.Text, s) || strings.Contains(m.Caption, s)) {
				c.matched[key] = true
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		c.t.Fatalf("expecting %q: %v", s, err)
	}
	return found
}

// tap presses the newest button whose label contains label and returns
// the update's ID.
func (c *tgChat) tap(label string) int64 {
	c.t.Helper()
	msgs := c.fake.Messages(c.id)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons() {
			for _, b := range row {
				if strings.Contains(b.Text, label) && b.CallbackData != "" {
					id, _ := c.fake.PressButton(c.id, c.id, msgs[i].ID, b.CallbackData)
					return id
				}
			}
		}
	}
	c.t.Fatalf("no button %q in:\n%s", label, c.fake.Transcript(c.id))
	return 0
}

// toSummarySharing plays a customer's purchase of France's 1 GB bundle from
// /start to the summary, with email and the number +33612345678 shared.
func (c *tgChat) toSummarySharing(email string) {
	c.t.Helper()
	c.say("/start")
	c.expect("What would you like to do")
	c.tap("Buy an eSIM")
	c.expect("Where are you travelling")
	c.say("france")
	c.expect("heapest first")
	c.tap("1 GB")
	c.expect("Networks")
	c.tap("Choose this bundle")
	c.expect("email")
	c.say(email)
	c.expect("full name")
	c.tap("Use ")
	c.expect("WhatsApp number")
	c.fake.SendContact(c.id, c.id, "+33612345678")
	c.expect("Your order")
}

// buy plays a purchase up to the QR code and returns the photo message.
func (c *tgChat) buy(email string, before func()) telegramtest.Message {
	c.t.Helper()
	c.toSummarySharing(email)
	if before != nil {
		before()
	}
	c.tap("Confirm")
	c.ready = c.expect("Your eSIM is ready")
	return c.expect("QR code of your eSIM")
}

func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

func TestRunPurchaseOnTelegram(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	r := startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), nil)
	c := newChat(t, fake, 501, "Ada", "en")
	photo := c.buy("ada@example.com", nil)
	if photo.Photo == nil {
		t.Fatalf("delivery %+v", photo)
	}
	orders := sb.Orders()
	if len(orders) != 1 {
		t.Fatalf("%d orders", len(orders))
	}
	if got := decodeQR(t, photo.Photo.Data); got != orders[0].ActivationCode {
		t.Errorf("QR = %q, want the order's %q", got, orders[0].ActivationCode)
	}
	c.say("/usage")
	c.expect("not started yet")

	// The operator's endpoints while it runs.
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + r.http + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, err := os.Stat(r.db + ".sock"); err != nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("admin socket: %v, %v", st, err)
	}
	if code, _ := get("/backup"); code != 404 {
		t.Errorf("/backup served on the TCP address: %d", code)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz %d %s", code, body)
	}
	code, body := get("/metrics")
	for _, want := range []string{`esimbot_updates_total{kind="command"}`, `esimbot_sales_total{kind="new",state="delivered"} 1`,
		`esimbot_reseller_requests_total{endpoint="/Bundle",method="POST",status="200"} 1`, "esimbot_reseller_request_duration_seconds_bucket",
		"esimbot_update_duration_seconds_bucket", "esimbot_wallet_balance 99"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// A hot backup of the running bot.
	dest := filepath.Join(t.TempDir(), "copy.db")
	var out, errOut bytes.Buffer
	bm := &Main{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
		return map[string]string{"ESIMBOT_DB": r.db}[k]
	}}
	if code := bm.Run(context.Background(), []string{"backup", dest}); code != 0 {
		t.Fatalf("backup exit %d: %s", code, &errOut)
	}
	hc := &Main{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return map[string]string{"ESIMBOT_LISTEN": r.http}[k] }}
	if code := hc.Run(context.Background(), []string{"healthcheck"}); code != 0 {
		t.Errorf("healthcheck exit %d: %s", code, &errOut)
	}
	if code := r.stop(); code != 0 {
		t.Errorf("exit %d after interrupt:\n%s", code, r.stderr)
	}
	cp, err := storage.Open(dest, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if sales, err := cp.SalesInState(context.Background(), flows.SaleDelivered); err != nil || len(sales) != 1 {
		t.Errorf("the backup holds %d delivered sales, %v; want 1", len(sales), err)
	}
	if logs := r.stderr.String(); strings.Contains(logs, testToken) || strings.Contains(logs, "TEST-run-token-SECRET") {
		t.Error("the bot token is in the logs")
	}
	if !strings.Contains(r.stderr.String(), "SANDBOX") {
		t.Error("sandbox mode not announced at start")
	}
}

func TestRunManyChatsAtOnce(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), nil)
	const n = 50
	photos := make([]telegramtest.Message, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := newChat(t, fake, int64(1000+i), "User "+string(rune('A'+i/26))+string(rune('a'+i%26)), "en")
			photos[i] = c.buy(fmt.Sprintf("user%d@example.com", i), nil)
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	byEmail := map[string]sandbox.Order{}
	for _, o := range sb.Orders() {
		byEmail[o.Email] = o
	}
	if len(byEmail) != n {
		t.Fatalf("%d orders, want %d", len(byEmail), n)
	}
	for i, p := range photos {
		o := byEmail[fmt.Sprintf("user%d@example.com", i)]
		if got := decodeQR(t, p.Photo.Data); got != o.ActivationCode {
			t.Errorf("chat %d got %q, its order is %q", i, got, o.ActivationCode)
		}
	}
}

func TestRunRestartMidConversation(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	db := filepath.Join(t.TempDir(), "bot.db")
	r := startRun(t, fake, sb, db, nil)
	c := newChat(t, fake, 601, "Ada", "en")
	d := newChat(t, fake, 602, "Bob", "en")
	// Two chats interleaved.
	c.say("/start")
	d.say("/start")
	c.expect("What would you like to do")
	d.expect("What would you like to do")
	c.say("japan")
	d.say("spain")
	c.expect("Japan")
	d.expect("Spain")
	c.tap("1 GB")
	c.expect("Networks")
	c.tap("Choose this bundle")
	c.expect("email")
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	startRun(t, fake, sb, db, nil)
	c.say("ada@example.com")
	c.expect("full name")
}

// TestRunKeepsTheSandbox restarts "run" on the embedded sandbox: the
// second run knows the eSIM sold in the first and sells another ICCID.
func TestRunKeepsTheSandbox(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	db := filepath.Join(t.TempDir(), "bot.db")
	iccid := regexp.MustCompile(`ICCID: (\d+)`)
	r := startRun(t, fake, nil, db, nil)
	c := newChat(t, fake, 801, "Ada", "en")
	c.buy("ada@example.com", nil)
	first := iccid.FindStringSubmatch(c.ready.Text)
	if first == nil {
		t.Fatal("no ICCID in the delivery")
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, r.stderr)
	}
	startRun(t, fake, nil, db, nil)
	c.say("/usage")
	if m := c.expect("Usage of " + first[1]); !strings.Contains(m.Text, "not started yet") {
		t.Errorf("usage after a restart: %s", m.Text)
	}
	c.buy("ada@example.com", nil)
	second := iccid.FindStringSubmatch(c.ready.Text)
	if second == nil || second[1] == first[1] {
		t.Errorf("second sale's ICCID %v after %s", second, first[1])
	}
}

func TestRunDeliveryWaitsOutTooManyRequests(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), nil)
	c := newChat(t, fake, 701, "Ada", "en")
	var began time.Time
	photo := c.buy("ada@example.com", func() {
		fake.FailNext("sendPhoto", 1, 429, 1)
		began = time.Now()
	})
	if photo.Photo == nil {
		t.Fatal("no photo")
	}
	if took := time.Since(began); took < time.Second {
		t.Errorf("delivered %v after a 429 with retry_after 1 s", took)
	}
	if n := fake.Calls("sendPhoto"); n != 2 {
		t.Errorf("sendPhoto called %d times, want 2", n)
	}
}

func TestRunConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoToken", map[string]string{}, "TELEGRAM_BOT_TOKEN: required"},
		{"BadToken", map[string]string{"TELEGRAM_BOT_TOKEN": "nope"}, "TELEGRAM_BOT_TOKEN: not a bot token"},
		{"TokenWithoutBotID", map[string]string{"TELEGRAM_BOT_TOKEN": "bot:AAE-secret"}, "TELEGRAM_BOT_TOKEN: not a bot token"},
		{"TokenTwice", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_BOT_TOKEN_FILE": "/x"}, "not both"},
		{"TokenFileMissing", map[string]string{"TELEGRAM_BOT_TOKEN_FILE": "/nonexistent/token"}, "TELEGRAM_BOT_TOKEN_FILE: cannot read"},
		{"ResellerNoUser", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "RESELLER_API_URL": "https://r.example/api/v1"}, "RESELLER_USERNAME: required"},
		{"ResellerNoPassword", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "RESELLER_API_URL": "https://r.example/api/v1", "RESELLER_USERNAME": "u"}, "RESELLER_PASSWORD: required"},
		{"ResellerBadURL", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "RESELLER_API_URL": "ftp://x"}, "RESELLER_API_URL: want"},
		{"BadListen", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_LISTEN": "nowhere"}, "ESIMBOT_LISTEN: want host:port"},
		{"ListenPortOutOfRange", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_LISTEN": "localhost:99999"}, `ESIMBOT_LISTEN: port "99999" is not a number from 0 to 65535`},
		{"ListenPortNotNumeric", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_LISTEN": "localhost:http"}, `ESIMBOT_LISTEN: port "http" is not a number from 0 to 65535`},
		{"ListenPortEmpty", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_LISTEN": "127.0.0.1:"}, `ESIMBOT_LISTEN: port "" is not a number`},
		{"WebhookHTTP", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_WEBHOOK_URL": "http://x/hook"}, "ESIMBOT_WEBHOOK_URL: want an https"},
		{"WebhookBadPath", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_WEBHOOK_URL": "https://x/tg/{id"}, "ESIMBOT_WEBHOOK_URL: the path"},
		{"WebhookNoSecret", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_WEBHOOK_URL": "https://x/hook"}, "ESIMBOT_WEBHOOK_SECRET: required"},
		{"BadAgents", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_AGENTS": "12,abc"}, `ESIMBOT_AGENTS: "abc" is not`},
		{"BadLevel", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_LOG_LEVEL": "loud"}, "ESIMBOT_LOG_LEVEL"},
		{"BadPrice", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_PRICE": "cheapest"}, "ESIMBOT_PRICE"},
		{"BadPrefix", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_ORDER_PREFIX": "TOO-LONG-PREFIX"}, "ESIMBOT_ORDER_PREFIX"},
		{"BadPaths", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "RESELLER_PATHS": "v9"}, "RESELLER_PATHS"},
		{"BadSendRate", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_SEND_RATE": "fast"}, `ESIMBOT_SEND_RATE: "fast": want messages per second`},
		{"NegativeChatRate", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_CHAT_RATE": "-1"}, "ESIMBOT_CHAT_RATE"},
		{"BadInviteTTL", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_INVITE_TTL": "soon"}, "ESIMBOT_INVITE_TTL"},
		{"BadLowBalance", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_LOW_BALANCE": "-5"}, "ESIMBOT_LOW_BALANCE"},
		{"BadDeliveryAlert", map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_DELIVERY_ALERT": "10"}, "ESIMBOT_DELIVERY_ALERT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			m := &Main{Stdout: io.Discard, Stderr: &stderr, Getenv: func(k string) string { return tc.env[k] }}
			if code := m.Run(context.Background(), []string{"run", "-db", filepath.Join(t.TempDir(), "x.db")}); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr %q, want one line with %q", stderr.String(), tc.want)
			}
			if strings.Contains(stderr.String(), testToken) {
				t.Error("token printed")
			}
		})
	}
}

// A photo Telegram refuses does not hold back the installation text; the
// photo alone is sent again within seconds, and nothing twice.
func TestRunFailedPhotoStillDeliversTheText(t *testing.T) {
	for _, code := range []int{500, 400, 0} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			fake := telegramtest.NewServer(t, testToken)
			sb := sandbox.New(sandbox.Options{})
			startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), nil)
			c := newChat(t, fake, 711, "Ada", "en")
			photo := c.buy("ada@example.com", func() {
				if code == 0 {
					fake.StallNext("sendPhoto", 1) // no answer: a timeout
				} else {
					fake.FailNext("sendPhoto", 1, code, 0)
				}
			})
			if photo.Photo == nil {
				t.Fatal("no photo after the retry")
			}
			orders := sb.Orders()
			if len(orders) != 1 {
				t.Fatalf("%d orders", len(orders))
			}
			if got := decodeQR(t, photo.Photo.Data); got != orders[0].ActivationCode {
				t.Errorf("QR = %q, want %q", got, orders[0].ActivationCode)
			}
			ready, photos := 0, 0
			for _, m := range fake.Messages(c.id) {
				if m.FromBot && strings.Contains(m.Text, "Your eSIM is ready") {
					ready++
					if !strings.Contains(m.Text, orders[0].ICCID) {
						t.Errorf("the text lacks the ICCID: %q", m.Text)
					}
				}
				if m.FromBot && m.Photo != nil {
					photos++
				}
			}
			if ready != 1 || photos != 1 {
				t.Errorf("%d installation texts and %d photos, want one each:\n%s", ready, photos, fake.Transcript(c.id))
			}
			if n := fake.Calls("sendPhoto"); n != 2 {
				t.Errorf("sendPhoto called %d times, want 2", n)
			}
		})
	}
}

// TestRunTelegramUnreachable: when getMe fails at start, the cause is logged
// in one ERROR line before "esimbot stopped", and nothing follows it.
func TestRunTelegramUnreachable(t *testing.T) {
	refusing := telegramtest.NewServer(t, "111:another-bot-token")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name, url, cause string
	}{
		{"TokenRefused", refusing.URL(), "Telegram refused the bot token"},
		{"Down", down, "cannot reach the Bot API at " + down},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stderr := &syncBuffer{}
			vars := map[string]string{
				"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_API_URL": tc.url, "ESIMBOT_DB": filepath.Join(t.TempDir(), "bot.db"),
				"ESIMBOT_LISTEN": "127.0.0.1:0", "ESIMBOT_LOG_FORMAT": "json",
			}
			m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: stderr, Getenv: func(k string) string { return vars[k] }}
			if code := m.Run(context.Background(), []string{"run"}); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			logs := stderr.String()
			if strings.Contains(logs, testToken) || strings.Contains(logs, "TEST-run-token-SECRET") {
				t.Errorf("the token is in the output:\n%s", logs)
			}
			lines := strings.Split(strings.TrimSpace(logs), "\n")
			var errors []string
			for _, l := range lines {
				if strings.Contains(l, `"level":"ERROR"`) {
					errors = append(errors, l)
				}
			}
			if len(errors) != 1 || !strings.Contains(errors[0], tc.cause) {
				t.Errorf("ERROR lines %q, want one naming %q", errors, tc.cause)
			}
			if last := lines[len(lines)-1]; !strings.Contains(last, `"msg":"esimbot stopped"`) {
				t.Errorf("last line %q, want esimbot stopped after the error:\n%s", last, logs)
			}
		})
	}
}

// newestWith returns the newest bot message whose text contains s.
func (c *tgChat) newestWith(s string) telegramtest.Message {
	c.t.Helper()
	msgs := c.fake.Messages(c.id)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].FromBot && strings.Contains(msgs[i].Text, s) {
			return msgs[i]
		}
	}
	c.t.Fatalf("no message with %q:\n%s", s, c.fake.Transcript(c.id))
	return telegramtest.Message{}
}

// TestRunSummaryStaysValid: what re-shows the summary (typed text, a tap
// on an older message's button) keeps the summary above working, so
// Confirm on it sells, once, on Telegram through the real library.
func TestRunSummaryStaysValid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		between func(c *tgChat)
	}{
		{"Text", func(c *tgChat) { c.say("ok"); c.expect("didn't expect") }},
		{"OldButton", func(c *tgChat) {
			old := c.newestWith("full name")
			for _, row := range old.Buttons() {
				for _, b := range row {
					if strings.HasPrefix(b.Text, "Use ") {
						c.fake.PressButton(c.id, c.id, old.ID, b.CallbackData)
					}
				}
			}
		}},
		{"Help", func(c *tgChat) { c.say("/help"); c.expect("How it works") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := telegramtest.NewServer(t, testToken)
			sb := sandbox.New(sandbox.Options{})
			startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), nil)
			c := newChat(t, fake, 721, "Ada", "en")
			c.say("/start")
			c.expect("What would you like to do")
			c.say("france")
			c.expect("heapest first")
			c.tap("1 GB")
			c.expect("Networks")
			c.tap("Choose this bundle")
			c.expect("email")
			c.say("ada@example.com")
			c.expect("full name")
			c.tap("Use ")
			c.expect("WhatsApp number")
			c.say("skip")
			above := c.expect("Your order")
			tc.between(c)
			if tc.name != "Help" {
				c.expect("Your order") // the summary again, below
			}
			var confirm string
			for _, row := range above.Buttons() {
				for _, b := range row {
					if strings.Contains(b.Text, "Confirm") {
						confirm = b.CallbackData
					}
				}
			}
			fake.PressButton(c.id, c.id, above.ID, confirm)
			c.expect("Your eSIM is ready")
			if n := len(sb.Orders()); n != 1 {
				t.Errorf("%d orders, want 1:\n%s", n, fake.Transcript(c.id))
			}
			for _, a := range fake.Answers() {
				if strings.Contains(a.Text, "older message") && a.MessageID == above.ID {
					t.Errorf("Confirm on the summary above answered %q", a.Text)
				}
			}
		})
	}
}
