package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// Post makes the recorder a flows.Poster: a message's ID is its number in
// its chat.
func (r *recorder) Post(ctx context.Context, chat flows.ChatID, m flows.Message) (int64, error) {
	if err := r.Send(ctx, chat, m); err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return int64(len(r.sent[chat])), nil
}

// staffSays hands the engine a message of staff member Sam in chat: with
// ID msg, replying to message replyTo.
func (w *world) staffSays(chat flows.ChatID, msg, replyTo int64, text string) {
	w.t.Helper()
	ev := flows.Event{Kind: flows.EventStaff, Chat: chat, User: 801, From: flows.Profile{FirstName: "Sam"},
		MessageID: msg, ReplyTo: replyTo, Text: text}
	if _, err := w.eng.Handle(context.Background(), ev); err != nil {
		w.t.Fatal(err)
	}
}

// desk is the staff chat of the support tests.
const desk = flows.ChatID(-100)

// openThread makes a world with a support desk in which customer Ada
// (chat 101) has opened a thread (its first post is message 1 of desk).
func openThread(t *testing.T) (*world, *chat) {
	t.Helper()
	w := newWorld(t, func(_ *sandbox.Options, cfg *flows.Config) { cfg.SupportChat = desk })
	c := w.chat(101, "Ada", "en")
	c.press("g.support")
	c.say("my eSIM shows no network")
	return w, c
}

// TestStaffEvents: the engine takes staff events from the configured chat
// only, delivers a reply to its thread's customer once however often it
// comes, and ignores replies to messages of no thread.
func TestStaffEvents(t *testing.T) {
	w, c := openThread(t)
	posts := w.rec.messages(desk)
	if len(posts) != 1 || !strings.Contains(posts[0].Text, "my eSIM shows no network") {
		t.Fatalf("staff chat: %+v", posts)
	}
	answers := func() (n int) {
		for _, m := range w.rec.messages(c.id) {
			if strings.Contains(m.Text, "Support") {
				n++
			}
		}
		return n
	}
	w.staffSays(-999, 5, 1, "forged, from another group")
	w.staffSays(desk, 6, 42, "a reply to a message of no thread")
	w.staffSays(desk, 7, 0, "staff talk")
	if n := answers(); n != 0 {
		t.Fatalf("%d answers reached the customer", n)
	}
	w.staffSays(desk, 8, 1, "Turn data roaming on")
	w.staffSays(desk, 8, 1, "Turn data roaming on") // the same update again
	if n := answers(); n != 1 {
		t.Fatalf("%d answers, want 1", n)
	}
	if last := c.lastText(); !strings.Contains(last, "Turn data roaming on") {
		t.Errorf("customer's last message %q", last)
	}
}

// TestStaffAnswerToBlockedCustomer: the staff answer a customer who has
// blocked the bot. The answer is not tried again and again: it waits for
// the customer, the staff hear of it once per blocking, and the
// customer's next message brings every answer that waited, before the
// reply to what they wrote.
func TestStaffAnswerToBlockedCustomer(t *testing.T) {
	w, c := openThread(t)
	next := int64(10)
	reply := func(text string) {
		t.Helper()
		next++
		w.staffSays(desk, next, 1, text)
	}
	notes := func() (n int) {
		for _, m := range w.rec.messages(desk) {
			if strings.Contains(m.Text, "blocked the bot") {
				n++
			}
		}
		return n
	}
	w.block(c.id, true)
	reply("Turn data roaming on")
	tried := w.rec.tried(c.id)
	for range 3 {
		if err := w.eng.RetrySupport(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	reply("And restart the phone")
	if n := w.rec.tried(c.id) - tried; n != 1 {
		t.Errorf("%d sends tried to the blocked customer after the first answer, want 1 (the second answer)", n)
	}
	if n := notes(); n != 1 {
		t.Errorf("%d notes to the staff that the customer blocked the bot, want 1", n)
	}

	w.block(c.id, false)
	before := len(w.rec.messages(c.id))
	c.say("hello?")
	got := w.rec.messages(c.id)[before:]
	if len(got) < 3 || !strings.Contains(got[0].Text, "Turn data roaming on") || !strings.Contains(got[1].Text, "And restart the phone") {
		t.Fatalf("after writing again the customer gets %d messages, want both answers first:\n%s", len(got), c.log.String())
	}
	if err := w.eng.RetrySupport(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(w.rec.messages(c.id)) - before; n != len(got) {
		t.Errorf("%d more messages after a retry, want none", n-len(got))
	}

	w.block(c.id, true)
	reply("Did it work?")
	if n := notes(); n != 2 {
		t.Errorf("%d notes to the staff after the customer blocked the bot again, want 2", n)
	}
}

// TestStaffLanguage: what the engine posts in the staff chat is in
// Config.StaffLang, whatever the customer's language; the customer's
// side stays in theirs.
func TestStaffLanguage(t *testing.T) {
	w := newWorld(t, func(_ *sandbox.Options, cfg *flows.Config) { cfg.SupportChat, cfg.StaffLang = desk, "fr" })
	c := w.chat(101, "Ada", "en")
	c.press("g.support")
	c.say("my eSIM shows no network")
	ev := flows.Event{Kind: flows.EventStaff, Chat: desk, User: 801, From: flows.Profile{FirstName: "Sam"}, MessageID: 2, ReplyTo: 1, Command: "close"}
	if _, err := w.eng.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	posts := w.rec.messages(desk)
	if len(posts) != 2 || !strings.Contains(posts[0].Text, "Répondez à ce message") || !strings.Contains(posts[1].Text, "clos par Sam") {
		t.Errorf("staff chat in French, got %+v", posts)
	}
	if last := c.lastText(); !strings.Contains(last, "Our team closed this conversation") {
		t.Errorf("the customer is told %q, want English", last)
	}
}

// TestLongSupportMessageReachesStaffWhole: a customer's message longer than
// one staff post goes to the staff chat in parts, none of it cut off.
func TestLongSupportMessageReachesStaffWhole(t *testing.T) {
	w := newWorld(t, func(_ *sandbox.Options, cfg *flows.Config) { cfg.SupportChat = desk })
	c := w.chat(101, "Ada", "en")
	c.press("g.support")
	long := "START " + strings.Repeat("my eSIM shows no network. ", 280) + "END" // 7,289 characters
	c.say(long)
	var staff strings.Builder
	for _, m := range w.rec.messages(desk) {
		staff.WriteString(m.Text)
	}
	got := strings.Count(staff.String(), "network.") // parts are cut between words
	if !strings.Contains(staff.String(), "START") || !strings.Contains(staff.String(), "END") || got != 280 {
		t.Errorf("staff chat got %d of the 280 sentences (START %v, END %v) in %d posts",
			got, strings.Contains(staff.String(), "START"), strings.Contains(staff.String(), "END"), len(w.rec.messages(desk)))
	}
	if !strings.Contains(c.lastText(), "Sent to our team") {
		t.Errorf("customer told %q", c.lastText())
	}
}

// TestSupportRefusedGivenUp: an answer Telegram refuses (a 4xx that is
// no block) is tried again with backoff, not at every pass, and given up
// after maxSupportTries, the staff told; the answers after it go on. A
// refusal by the staff chat (the bot removed from the group: 403) does
// not mark the customer as having blocked the bot.
func TestSupportRefusedGivenUp(t *testing.T) {
	w, c := openThread(t)
	w.rec.mu.Lock()
	w.rec.failChat = map[flows.ChatID]error{c.id: fmt.Errorf("copyMessage: 400 Bad Request: message to copy not found: %w", flows.ErrRefused)}
	w.rec.mu.Unlock()
	base := w.rec.tried(c.id)
	w.staffSays(desk, 11, 1, "Turn data roaming on")
	tried := w.rec.tried(c.id)
	for range 3 {
		if err := w.eng.RetrySupport(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.rec.tried(c.id) - tried; n != 0 {
		t.Errorf("%d tries right after a refusal, want none before its backoff", n)
	}
	for range 20 {
		w.clock.Add(16 * time.Minute)
		if err := w.eng.RetrySupport(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.rec.tried(c.id) - base; n != 8 {
		t.Errorf("%d tries of the refused answer, want 8", n)
	}
	last := w.rec.messages(desk)[len(w.rec.messages(desk))-1]
	if !strings.Contains(last.Text, "could not be delivered") {
		t.Errorf("the staff are not told the answer was given up: %q", last.Text)
	}
	w.block(c.id, false)
	w.staffSays(desk, 12, 1, "Or restart the phone")
	if got := c.lastText(); !strings.Contains(got, "Or restart the phone") {
		t.Errorf("the next answer did not go on: %q", got)
	}

	w.block(desk, true) // 403 from the staff chat
	c.say("still no network")
	if u, err := w.store.User(t.Context(), c.user); err != nil || u.Blocked {
		t.Errorf("the customer is marked as having blocked the bot (%v) when the staff chat refused", err)
	}
}

// TestSupportTextReplayedOnce: a customer's message handled again (its
// update replayed after a crash) reaches the staff once, each part of a
// long one too; the same words sent again as a new message go again.
func TestSupportTextReplayedOnce(t *testing.T) {
	w, c := openThread(t)
	long := strings.Repeat("my eSIM shows no network. ", 200) // two parts
	for range 2 {
		c.handle(flows.Event{Kind: flows.EventText, Text: long, MessageID: 77}, "(long, message 77)")
	}
	posts := len(w.rec.messages(desk))
	if posts != 3 {
		t.Errorf("%d posts in the staff chat, want 3 (the first message, then the two parts once)", posts)
	}
	c.handle(flows.Event{Kind: flows.EventText, Text: "hello?", MessageID: 78}, "hello? (78)")
	c.handle(flows.Event{Kind: flows.EventText, Text: "hello?", MessageID: 79}, "hello? (79)")
	if n := len(w.rec.messages(desk)) - posts; n != 2 {
		t.Errorf("%d posts for two messages of the same words, want 2", n)
	}
}

// TestCustomerMessageGoesWhileBlocked: a customer's message the staff
// chat did not take (it was down) goes on at the next pass even when the
// customer has since blocked the bot: it goes to the staff, not to them.
func TestCustomerMessageGoesWhileBlocked(t *testing.T) {
	w, c := openThread(t)
	w.rec.mu.Lock()
	w.rec.failChat = map[flows.ChatID]error{desk: fmt.Errorf("sendMessage: 502 Bad Gateway")}
	w.rec.mu.Unlock()
	c.say("the eSIM says PDP authentication failure")
	u, err := w.store.User(t.Context(), c.user)
	if err != nil {
		t.Fatal(err)
	}
	u.Blocked = true // a delivery to them met a 403 since
	if err := w.store.SaveUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	w.block(desk, false)
	if err := w.eng.RetrySupport(t.Context()); err != nil {
		t.Fatal(err)
	}
	posts := w.rec.messages(desk)
	if !strings.Contains(posts[len(posts)-1].Text, "PDP authentication failure") {
		t.Errorf("the customer's message did not reach the staff; last post %q", posts[len(posts)-1].Text)
	}
}

// TestClosingNoticeRefusedOnce: a closing notice Telegram refuses with a
// 4xx that is no block is given up at once, not tried at every pass.
func TestClosingNoticeRefusedOnce(t *testing.T) {
	w, c := openThread(t)
	w.rec.mu.Lock()
	w.rec.failChat = map[flows.ChatID]error{c.id: fmt.Errorf("sendMessage: 400 Bad Request: chat not found: %w", flows.ErrRefused)}
	w.rec.mu.Unlock()
	base := w.rec.tried(c.id)
	ev := flows.Event{Kind: flows.EventStaff, Chat: desk, User: 801, From: flows.Profile{FirstName: "Sam"}, MessageID: 2, ReplyTo: 1, Command: "close"}
	if _, err := w.eng.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := w.eng.RetrySupport(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.rec.tried(c.id) - base; n != 1 {
		t.Errorf("the refused closing notice was tried %d times, want 1", n)
	}
}
