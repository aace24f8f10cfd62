package flows_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
)

// knownSteps are the steps a stored conversation may be at.
var knownSteps = map[flows.Step]bool{}

func init() {
	for _, s := range []string{"menu", "destination", "pick_country", "regions", "bundles", "bundle", "email", "name",
		"whatsapp", "summary", "selling", "esims", "esim", "topup_bundles", "topup_summary", "usage_pick", "usage",
		"language", "forget", "help", "help_iphone", "help_android", "help_nodata", "help_device", "help_validity",
		"help_terms", "support"} {
		knownSteps[flows.Step(s)] = true
	}
}

// What FuzzEngine's operations choose from.
var (
	fuzzCommands = []string{"start", "start FRA", "start group", "cancel", "help", "esims", "usage", "usage 8988377328105895732",
		"language", "forget", "", "nonsense", "START", "start " + strings.Repeat("A", 300)}
	fuzzTexts = []string{"france", "japan", "fr", "ada@example.com", "Ada Lovelace", "+33612345678", "skip", "yes", "1", "",
		strings.Repeat("x", 300), "<b>&amp;", "germny", "0612345678", "Europe", "   ", "\u202eevil", "ada@@example", "😀"}
	fuzzData = []string{"g.menu", "g.buy", "g.usage.8988377328105895732", "g.qr.EB-NOPE", "0.x", "", ".", "g.", "zz.b.1",
		strings.Repeat("a", 65), "g.topup.EB-NOPE", "1.c.FRA", "a.b.c.d"}
	fuzzPhones = []string{"+33612345678", "33612345678", "", "+999", "0612345678"}
)

// FuzzEngine drives the engine (memory store, sandbox) with any sequence
// of commands, texts, button presses (current, stale, forged, twice at
// once), shared contacts and clock jumps, as a customer or an agent.
// After every event: Handle failed only with a context error; at the end
// the stored conversation's step is a known one, and the sales are sound:
// every sandbox order belongs to a sale, a sale has at most one order, an
// assigned or delivered sale has exactly one, and one declared not charged
// has none.
func FuzzEngine(f *testing.F) {
	buy := []byte{0, 0, 2, 0, 1, 0, 2, 0, 2, 0, 1, 3, 2, 0, 2, 0, 2, 0}
	f.Add(append([]byte{0}, buy...))
	f.Add(append(append([]byte{0}, buy...), 2, 0, 3, 9, 7, 0))                    // a second tap on Confirm, stale buttons
	f.Add(append([]byte{1}, buy...))                                              // as an agent
	f.Add(append(append([]byte{0}, buy[:16]...), 7, 0))                           // Confirm twice at once
	f.Add(append(append([]byte{0}, buy...), 0, 4, 2, 0, 2, 0, 2, 0, 2, 1, 2, 0))  // then My eSIMs and a top-up
	f.Add(append(append([]byte{0}, buy[:12]...), 6, 200, 2, 0, 1, 5, 0, 9, 2, 0)) // a day later, mid-purchase
	f.Add([]byte{0, 4, 3, 4, 7, 4, 6, 1, 5, 6, 6, 0, 2, 3, 2, 1})
	w := newWorld(f)
	var next atomic.Int64
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) == 0 || len(script) > 200 {
			return
		}
		chat, user := flows.ChatID(20000+next.Add(1)), flows.UserID(0)
		if script[0]%2 == 1 {
			chat = 900 // the agent of newWorld, whose conversation goes on from earlier inputs
		}
		user = flows.UserID(chat)
		from := flows.Profile{FirstName: "Ada", LanguageCode: []string{"en", "fr", "ar", "xx"}[int(script[0]/2)%4]}
		var sent []string // every button's data the chat was shown, oldest first
		seen := 0
		handle := func(ev flows.Event) {
			ev.Chat, ev.User, ev.From = chat, user, from
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := w.eng.Handle(ctx, ev); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Handle(%+v): %v", ev, err)
			}
		}
		newest := func() []string {
			msgs := w.rec.messages(chat)
			for _, m := range msgs[seen:] {
				for _, row := range m.Buttons {
					for _, b := range row {
						if b.Data != "" {
							sent = append(sent, b.Data)
						}
					}
				}
			}
			seen = len(msgs)
			for i := len(msgs) - 1; i >= 0; i-- {
				var data []string
				for _, row := range msgs[i].Buttons {
					for _, b := range row {
						if b.Data != "" {
							data = append(data, b.Data)
						}
					}
				}
				if len(data) > 0 {
					return data
				}
			}
			return nil
		}
		for i := 1; i+1 < len(script); i += 2 {
			op, arg := script[i]%8, int(script[i+1])
			switch op {
			case 0:
				name, args, _ := strings.Cut(fuzzCommands[arg%len(fuzzCommands)], " ")
				handle(flows.Event{Kind: flows.EventCommand, Command: name, Args: args})
			case 1:
				handle(flows.Event{Kind: flows.EventText, Text: fuzzTexts[arg%len(fuzzTexts)]})
			case 2:
				if data := newest(); len(data) > 0 {
					handle(flows.Event{Kind: flows.EventButton, Data: data[arg%len(data)]})
				}
			case 3:
				if newest(); len(sent) > 0 {
					handle(flows.Event{Kind: flows.EventButton, Data: sent[arg%len(sent)]})
				}
			case 4:
				handle(flows.Event{Kind: flows.EventButton, Data: fuzzData[arg%len(fuzzData)]})
			case 5:
				handle(flows.Event{Kind: flows.EventContact, Phone: fuzzPhones[arg%len(fuzzPhones)]})
			case 6:
				w.clock.Add(time.Duration(arg) * 10 * time.Minute)
			case 7:
				// A double tap: the same button twice at once.
				if data := newest(); len(data) > 0 {
					d := data[arg%len(data)]
					var wg sync.WaitGroup
					for range 2 {
						wg.Go(func() { handle(flows.Event{Kind: flows.EventButton, Data: d}) })
					}
					wg.Wait()
				}
			}
		}
		ctx := context.Background()
		if c, err := w.store.Conversation(ctx, chat); err == nil && !knownSteps[c.Step] {
			t.Fatalf("conversation at step %q", c.Step)
		} else if err != nil && !errors.Is(err, flows.ErrNotFound) {
			t.Fatal(err)
		}
		checkLedger(t, w)
	})
}

// checkLedger checks the sales against the sandbox's orders.
func checkLedger(t *testing.T, w *world) {
	t.Helper()
	sales, err := w.store.SalesInState(context.Background(), flows.SaleConfirmed, flows.SalePaid, flows.SaleAssigning,
		flows.SaleAssigned, flows.SaleDelivered, flows.SaleFailed)
	if err != nil {
		t.Fatal(err)
	}
	orders := map[string]int{}
	for _, o := range w.sb.Orders() {
		orders[o.Reference]++
	}
	byRef := map[string]flows.Sale{}
	for _, s := range sales {
		byRef[s.Ref] = s
	}
	for ref, n := range orders {
		if _, ok := byRef[ref]; !ok {
			t.Fatalf("sandbox order %s has no sale", ref)
		}
		if n > 1 {
			t.Fatalf("sale %s has %d orders", ref, n)
		}
	}
	for _, s := range sales {
		n := orders[s.Ref]
		switch {
		case (s.State == flows.SaleAssigned || s.State == flows.SaleDelivered) && n != 1:
			t.Fatalf("sale %s is %s with %d orders", s.Ref, s.State, n)
		case s.State == flows.SaleFailed && s.FailReason == "sale_not_charged" && n != 0:
			t.Fatalf("sale %s declared not charged has an order", s.Ref)
		}
	}
}
