package main

// Webhook mode with a real process: "esimbot run" registers its public
// https URL with the fake Bot API, which stands for Telegram in front of a
// TLS proxy (WebhookVia) and pushes every update to the bot until it is
// answered with a 2xx (PushWebhook). The bot is killed with SIGKILL in the
// middle of purchases and restarted on the same data file.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

// hookUser is the customer of each webhook case.
const hookUser = 5252

// hookRun is one webhook case under way: its bot, the user's chat and
// the updates the user sent.
type hookRun struct {
	t      *testing.T
	e      *killEnv
	c      *tgChat
	ids    []int64   // the user's updates, in order
	killed time.Time // when the bot was killed
}

func (h *hookRun) say(text string) int64 {
	id := h.c.say(text)
	h.ids = append(h.ids, id)
	return id
}

func (h *hookRun) tap(label string) int64 {
	h.t.Helper()
	id := h.c.tap(label)
	h.ids = append(h.ids, id)
	return id
}

// acked reports whether the bot answered a delivery of the update 2xx.
func (h *hookRun) acked(id int64) bool { return !slices.Contains(h.e.fake.Pending(), id) }

// await waits for cond, checked at every change of the fake.
func (h *hookRun) await(what string, cond func() bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.e.fake.WaitUntil(ctx, cond); err != nil {
		h.t.Fatalf("%s: %v\n%s", what, err, h.e.fake.Transcript(hookUser))
	}
}

// settled reports whether every update of the user was acknowledged and
// every tap answered.
func (h *hookRun) settled() bool {
	for _, id := range h.ids {
		if !h.acked(id) {
			return false
		}
		var upd struct {
			Query *struct{ ID string } `json:"callback_query"`
		}
		if err := json.Unmarshal(h.e.fake.Update(id), &upd); err != nil {
			h.t.Fatalf("update %d: %v", id, err)
		}
		if upd.Query != nil && !h.e.fake.Answered(upd.Query.ID) {
			return false
		}
	}
	return true
}

// kill kills the bot with SIGKILL and starts it again on the same file.
func (h *hookRun) kill() {
	h.t.Helper()
	h.killed = time.Now()
	if !h.e.restart() {
		h.t.FailNow()
	}
}

// toEmail plays a purchase up to the question of the email.
func (h *hookRun) toEmail() {
	h.say("/start")
	h.c.expect("What would you like to do")
	h.tap("Buy an eSIM")
	h.c.expect("Where are you travelling")
	h.say("france")
	h.c.expect("heapest first")
	h.tap("1 GB")
	h.c.expect("Networks")
	h.tap("Choose this bundle")
	h.c.expect("traveller's email")
}

// toSummary plays a purchase from the question of the email to the
// summary, tapping.
func (h *hookRun) toSummary() {
	h.say(userEmail(hookUser))
	h.fromName()
}

// fromName plays a purchase from the question of the name, on its way, to
// the summary.
func (h *hookRun) fromName() {
	h.c.expect("full name")
	h.tap("Use ")
	h.c.expect("WhatsApp number for the traveller")
	h.tap("Skip")
	h.c.expect("Your order")
}

// confirm taps Confirm with arm's fault prepared and kills the bot when
// arm's moment comes.
func (h *hookRun) confirm(arm func() func(context.Context) error) {
	h.t.Helper()
	reached := arm()
	h.tap("Confirm")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := reached(ctx); err != nil {
		h.t.Fatalf("the moment to kill the bot did not come: %v\n%s", err, h.e.fake.Transcript(hookUser))
	}
	h.kill()
	h.e.sb.ClearFaults()
}

// webhookCase is a moment, in webhook mode, at which the bot is killed.
type webhookCase struct {
	name string
	// play drives the purchase from /start to its outcome and kills the
	// bot on the way.
	play       func(h *hookRun)
	want       flows.SaleState
	wantOrders int
	// once are prompts that answer typed updates: each must be in the chat
	// exactly once (an update handled twice asks again).
	once []string
}

func webhookCases() []webhookCase {
	// stalledReply stalls the bot's next sendMessage and returns the wait
	// for it to be in flight after the update was acknowledged.
	stalledReply := func(h *hookRun) func(id int64) {
		h.e.fake.StallNext("sendMessage", 1)
		n := h.e.fake.Calls("sendMessage") + 1
		return func(id int64) {
			h.await("the acknowledged update's reply in flight", func() bool {
				return h.acked(id) && h.e.fake.Calls("sendMessage") >= n
			})
		}
	}
	return []webhookCase{
		{name: "webhook: SIGKILL while the purchase is at the API",
			play: func(h *hookRun) {
				h.toEmail()
				h.toSummary()
				h.confirm(func() func(context.Context) error {
					h.e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Method: "POST", Path: "/Bundle", Latency: time.Hour, Count: 1})
					ch := make(chan struct{})
					h.e.api.whenPurchase(func() { close(ch) })
					return waitChan(ch)
				})
				h.c.expect("nothing was charged")
			},
			want: flows.SaleFailed},
		{name: "webhook: SIGKILL after the API committed",
			play: func(h *hookRun) {
				h.toEmail()
				h.toSummary()
				h.confirm(func() func(context.Context) error { return commitThenTimeout(h.e) })
				h.c.expect("QR code of your eSIM")
			},
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "webhook: SIGKILL after the 200, the reply unsent",
			play: func(h *hookRun) {
				h.toEmail()
				inFlight := stalledReply(h)
				inFlight(h.say(userEmail(hookUser)))
				h.kill()
				h.fromName()
				h.tap("Confirm")
				h.c.expect("QR code of your eSIM")
			},
			want: flows.SaleDelivered, wantOrders: 1, once: []string{"full name"}},
		{name: "webhook: typing fast, SIGKILL among the updates",
			play: func(h *hookRun) {
				h.toEmail()
				// The email acknowledged, its reply in flight; the bot
				// killed the instant it acknowledged the name; the third
				// typed while it is down.
				inFlight := stalledReply(h)
				email := h.say(userEmail(hookUser))
				inFlight(email)
				child := h.e.child
				h.e.fake.OnWebhookAnswer(func(d telegramtest.WebhookDelivery) {
					if d.UpdateID == email+1 && d.OK() {
						_ = child.cmd.Process.Signal(syscall.SIGKILL)
					}
				})
				if name := h.say("Ada Lovelace"); name != email+1 {
					h.t.Fatalf("update %d after %d", name, email)
				}
				select {
				case <-child.exited:
				case <-time.After(20 * time.Second):
					h.t.Fatalf("the name was not acknowledged\n%s", h.e.fake.Transcript(hookUser))
				}
				h.killed = time.Now()
				h.e.fake.OnWebhookAnswer(nil)
				api := h.e.apiURL()
				h.say("skip")
				h.await("a delivery refused while the bot is down", func() bool {
					return slices.ContainsFunc(h.e.fake.WebhookDeliveries(), func(d telegramtest.WebhookDelivery) bool {
						return d.UpdateID == h.ids[len(h.ids)-1] && !d.OK()
					})
				})
				c, err := startChildErr(h.t, h.e.bin, h.e.fake, h.e.env(api))
				if err != nil {
					h.t.Fatal(err)
				}
				h.e.child = c
				h.c.expect("Your order")
				h.tap("Confirm")
				h.c.expect("QR code of your eSIM")
			},
			want: flows.SaleDelivered, wantOrders: 1,
			once: []string{"full name", "WhatsApp number for the traveller", "No WhatsApp number", "does your phone support eSIM"}},
	}
}

// TestWebhookKills runs each webhook case in its own process (all at
// once) and checks the README's webhook guarantee: every update answered
// 2xx is handled, once (a redelivery is not answered again), one order per
// confirmed sale at most, each eSIM delivered, a second copy only as "Here
// is your eSIM again". It prints the matrix.
func TestWebhookKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills child processes; skipped with -short")
	}
	t.Parallel() // with the other fault tests: all mostly wait
	bin := buildTestBinary(t, t.TempDir())
	cases := webhookCases()
	rows := make([]faultRow, len(cases))
	var wg sync.WaitGroup
	for i, wc := range cases {
		wg.Go(func() {
			t.Run(wc.name, func(t *testing.T) { rows[i] = runWebhookCase(t, bin, wc) })
		})
	}
	wg.Wait()
	t.Log(matrix(rows))
}

func runWebhookCase(t *testing.T, bin string, wc webhookCase) faultRow {
	// A secret of its own: a delivery that reaches another case's bot (on
	// the port of this case's dead one) is refused.
	secret := "hook_" + rand.Text()
	e := newKillEnv(t, bin, sandbox.Options{}, "ESIMBOT_WEBHOOK_URL=https://bot.example.test/telegram/hook",
		"ESIMBOT_WEBHOOK_SECRET="+secret, "ESIMBOT_LOG_LEVEL=debug")
	e.fake.PushWebhook(t.Context(), 20*time.Millisecond)
	h := &hookRun{t: t, e: e, c: newChat(t, e.fake, hookUser, "Ada", "en")}
	wc.play(h)
	took := time.Since(h.killed) // to the outcome

	// Telegram delivers every update again: the bot answers 200 and
	// handles none twice. A fresh update after them is answered after
	// them (one chat's updates run in order), so by then any second
	// answer would be in the chat.
	const dropped = `"msg":"duplicate update dropped"`
	h.await("every update acknowledged and every tap answered", h.settled)
	before, answers := len(e.fake.Messages(hookUser)), e.fake.Calls("answerCallbackQuery")
	dups := strings.Count(e.child.stderr.String(), dropped)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, id := range h.ids {
		if status, err := e.fake.PostWebhook(ctx, id); err != nil || status != 200 {
			t.Errorf("redelivery of update %d: %d, %v", id, status, err)
		}
	}
	h.say("/help")
	h.c.expect("How it works")
	if n := len(e.fake.Messages(hookUser)) - before; n != 2 {
		t.Errorf("%d messages in the chat after the redelivery and /help, want 2 (the /help and its answer)", n)
	}
	if n := e.fake.Calls("answerCallbackQuery") - answers; n != 0 {
		t.Errorf("%d taps answered again after their redelivery", n)
	}
	redelivered := len(h.ids) - 1 // all but the /help
	if err := poll(ctx, func() bool { return strings.Count(e.child.stderr.String(), dropped)-dups >= redelivered }); err != nil {
		t.Errorf("%d redeliveries logged as duplicates dropped, want %d", strings.Count(e.child.stderr.String(), dropped)-dups, redelivered)
	}
	if code := e.child.term(); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}

	checkInbox(t, e, h.ids)
	row, sales := audit(t, e.db, e.sb, e.fake, []int64{hookUser}, 1)
	row.fault, row.took = wc.name, took
	checkOneSale(t, row, sales, wc.want, wc.wantOrders)
	if want := wc.wantOrders; row.texts != want || row.photos != want {
		t.Errorf("%d texts and %d pictures delivered, want %d of each", row.texts, row.photos, want)
	}
	for _, p := range wc.once {
		n := 0
		for _, m := range telegramtest.FromBot(e.fake.Messages(hookUser)) {
			if strings.Contains(m.Text, p) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d messages with %q, want 1", n, p)
		}
	}
	checkCopiesPerESIM(t, e.fake, hookUser)
	refused := 0
	for _, d := range e.fake.WebhookDeliveries() {
		if !d.OK() {
			refused++
		}
	}
	row.last = fmt.Sprintf("%d updates, %d deliveries not answered 2xx", len(h.ids), refused)
	if t.Failed() {
		t.Logf("chat:\n%s", e.fake.Transcript(hookUser))
	}
	return row
}

// checkInbox checks, in the stopped bot's file, that every update of ids
// was stored and none is left unhandled.
func checkInbox(t *testing.T, e *killEnv, ids []int64) {
	t.Helper()
	st, err := storage.Open(e.db, storage.Options{})
	if err != nil {
		t.Fatalf("open the inbox: %v", err)
	}
	defer st.Close()
	ctx := context.Background()
	pending, err := st.PendingUpdates(ctx, e.fake.BotID())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) > 0 {
		t.Errorf("%d updates left unhandled in the inbox", len(pending))
	}
	unseen, err := st.UnseenUpdates(ctx, e.fake.BotID(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range unseen {
		if u {
			t.Errorf("update %d was acknowledged and never stored", ids[i])
		}
	}
}
