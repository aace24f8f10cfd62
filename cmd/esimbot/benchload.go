package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// benchLoad runs users users, each through journey in its own chat
// (chats 1000001 on), started within spread, and fills r's latencies,
// counts and wall time.
func benchLoad(ctx context.Context, api *benchAPI, r *benchResult, users int, spread time.Duration, journey func(ctx context.Context, u *benchUser) error) {
	var mu sync.Mutex
	var first, last time.Time
	var wg sync.WaitGroup
	var failed atomic.Int64
	r.users = users
	r.steps, r.notes = map[string][]time.Duration{}, map[string]bool{}
	for i := range users {
		u := &benchUser{api: api, chat: int64(1_000_001 + i), index: i}
		u.record = func(step string, offered time.Time, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			r.updates++
			if d >= 0 {
				r.record(step, d)
			}
			if first.IsZero() || offered.Before(first) {
				first = offered
			}
			if end := offered.Add(d); end.After(last) {
				last = end
			}
		}
		u.note = func(step string, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			r.notes[step] = true
			r.record(step, d)
		}
		wg.Go(func() {
			if spread > 0 {
				t := time.NewTimer(rand.N(spread))
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			if err := journey(ctx, u); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	r.failed = int(failed.Load())
	r.wall = last.Sub(first)
	r.replies, r.actions, _ = api.counts()
}

// benchUser is one simulated user in one chat.
type benchUser struct {
	api    *benchAPI
	chat   int64
	index  int
	think  time.Duration // the least time between two of the user's updates
	last   time.Time     // when the user last offered an update
	record func(step string, offered time.Time, d time.Duration)
	// note records a latency that is not an update's (a first reply).
	note func(step string, d time.Duration)
}

// pace waits until the user's next update may go.
func (u *benchUser) pace(ctx context.Context) error {
	if u.think <= 0 || u.last.IsZero() {
		return ctx.Err()
	}
	t := time.NewTimer(time.Until(u.last.Add(u.think)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// screenAfter is the chat's latest screen (a bot message with inline
// buttons) if it was sent or edited after t.
func screenAfter(c *benchChat, t time.Time) *benchMsg {
	if m := c.msgs[c.screen]; m != nil && m.at.After(t) {
		return m
	}
	return nil
}

// text sends text and waits for a new screen: the step's latency is to the
// bot's last reply then.
func (u *benchUser) text(ctx context.Context, step, text string) error {
	if err := u.pace(ctx); err != nil {
		return err
	}
	at := u.api.sendText(u.chat, text)
	u.last = at
	var took time.Duration = -1
	err := u.api.wait(ctx, u.chat, func(c *benchChat) bool {
		if screenAfter(c, at) == nil {
			return false
		}
		took = c.last.Sub(at)
		return true
	})
	u.record(step, at, took)
	return err
}

// tap presses the button of the current screen that pick chooses, and
// waits for the answer and a new or edited screen (or, when until is set,
// for until to hold): the step's latency is to the bot's last reply then.
func (u *benchUser) tap(ctx context.Context, step string, pick func([]benchButton) int, until func(c *benchChat, at time.Time) bool) error {
	if err := u.pace(ctx); err != nil {
		return err
	}
	u.api.mu.Lock()
	c := u.api.chat(u.chat)
	m := c.msgs[c.screen]
	var msg int
	var data string
	if m != nil {
		if i := pick(m.buttons); i >= 0 && i < len(m.buttons) {
			msg, data = m.id, m.buttons[i].Data
		}
	}
	u.api.mu.Unlock()
	if data == "" {
		u.record(step, time.Now(), -1)
		return fmt.Errorf("chat %d, %s: no such button on the screen", u.chat, step)
	}
	at, q := u.api.press(u.chat, msg, data)
	u.last = at
	var took time.Duration = -1
	err := u.api.wait(ctx, u.chat, func(c *benchChat) bool {
		if _, ok := c.answers[q]; !ok {
			return false
		}
		if until != nil && !until(c, at) || until == nil && screenAfter(c, at) == nil {
			return false
		}
		took = c.last.Sub(at)
		return true
	})
	u.record(step, at, took)
	return err
}

// nth picks the i-th button (from the end when negative).
func nth(i int) func([]benchButton) int {
	return func(b []benchButton) int {
		if i < 0 {
			return len(b) + i
		}
		return i
	}
}

// labelled picks the button with the label.
func labelled(label string) func([]benchButton) int {
	return func(b []benchButton) int {
		return slices.IndexFunc(b, func(b benchButton) bool { return b.Text == label })
	}
}

// buyJourney is the journey of a buyer: a whole conversation, from /start to
// the delivery and a usage check.
func buyJourney(usage string) func(ctx context.Context, u *benchUser) error {
	return func(ctx context.Context, u *benchUser) error {
		if err := u.text(ctx, "start", "/start"); err != nil {
			return err
		}
		for _, s := range []struct {
			step string
			pick func([]benchButton) int
		}{{"browse", nth(0)}, {"browse", nth(u.index % 10)}, {"details", nth(0)}, {"choose", nth(0)}} {
			if err := u.tap(ctx, s.step, s.pick, nil); err != nil {
				return err
			}
		}
		if err := u.text(ctx, "email", "ada@example.com"); err != nil {
			return err
		}
		for _, step := range []string{"name", "skip"} {
			if err := u.tap(ctx, step, nth(0), nil); err != nil {
				return err
			}
		}
		if err := confirmDelivery(ctx, u); err != nil {
			return err
		}
		return u.tap(ctx, "usage", labelled(usage), nil)
	}
}

// confirmDelivery taps Confirm and waits for the delivery, which ends with
// the QR code picture; the summary's edit is noted as the first reply.
func confirmDelivery(ctx context.Context, u *benchUser) error {
	var summary int
	u.api.mu.Lock()
	summary = u.api.chat(u.chat).screen
	u.api.mu.Unlock()
	var shown time.Duration = -1
	err := u.tap(ctx, "confirm+delivery", nth(0), func(c *benchChat, at time.Time) bool {
		if m := c.msgs[summary]; m != nil && m.at.After(at) && shown < 0 {
			shown = m.at.Sub(at)
		}
		for id := c.nextMsg; id > 0 && id > c.nextMsg-6; id-- {
			if m := c.msgs[id]; m != nil && m.photo && m.at.After(at) {
				return true
			}
		}
		return false
	})
	if shown >= 0 {
		u.note("confirm (first reply)", shown)
	}
	return err
}

// browsing is the journey of a user who browses screens until ctx is done:
// Buy, a country, a bundle's details, and Back three times.
func browsing(ctx context.Context, u *benchUser) error {
	if err := u.text(ctx, "start", "/start"); err != nil {
		return err
	}
	for ctx.Err() == nil {
		for _, pick := range []func([]benchButton) int{nth(0), nth(u.index % 10), nth(u.index % 3), nth(-1), nth(-1), nth(-1)} {
			if err := u.tap(ctx, "browse", pick, nil); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

// bareJourney makes the same updates as buyJourney, each answered by one
// message of the bare bot.
func bareJourney(ctx context.Context, u *benchUser) error {
	for i, step := range []string{"start", "browse", "browse", "details", "choose", "email", "name", "skip", "confirm+delivery", "usage"} {
		if err := u.pace(ctx); err != nil {
			return err
		}
		var at time.Time
		if i == 0 || step == "email" {
			at = u.api.sendText(u.chat, "text")
		} else {
			u.api.mu.Lock()
			msg := u.api.chat(u.chat).nextMsg
			u.api.mu.Unlock()
			at, _ = u.api.press(u.chat, msg, "x")
		}
		u.last = at
		var took time.Duration = -1
		err := u.api.wait(ctx, u.chat, func(c *benchChat) bool {
			for id := c.nextMsg; id > 0 && id > c.nextMsg-3; id-- {
				if m := c.msgs[id]; m != nil && m.at.After(at) {
					took = c.last.Sub(at)
					return true
				}
			}
			return false
		})
		u.record(step, at, took)
		if err != nil {
			return err
		}
	}
	return nil
}

// runBare runs a bare go-telegram/bot bot on api until ctx is done: each
// update answered with one sendMessage, the library's defaults otherwise.
func runBare(ctx context.Context, api *benchAPI) error {
	b, err := tg.New(benchToken, tg.WithServerURL(api.url), tg.WithSkipGetMe(), tg.WithErrorsHandler(func(error) {}),
		tg.WithDefaultHandler(func(ctx context.Context, b *tg.Bot, upd *models.Update) {
			var chat int64
			switch {
			case upd.Message != nil:
				chat = upd.Message.Chat.ID
			case upd.CallbackQuery != nil && upd.CallbackQuery.Message.Message != nil:
				chat = upd.CallbackQuery.Message.Message.Chat.ID
			default:
				return
			}
			_, _ = b.SendMessage(ctx, &tg.SendMessageParams{ChatID: chat, Text: "ok"})
		}))
	if err != nil {
		return err
	}
	b.Start(ctx)
	return nil
}
