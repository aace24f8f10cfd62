package flows_test

import (
	"context"
	"strings"
	"testing"

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

// TestStaffEvents: the engine takes staff events from the configured chat
// only, delivers a reply to its thread's customer once however often it
// comes, and ignores replies to messages of no thread.
func TestStaffEvents(t *testing.T) {
	const desk = flows.ChatID(-100)
	w := newWorld(t, func(_ *sandbox.Options, cfg *flows.Config) { cfg.SupportChat = desk })
	c := w.chat(101, "Ada", "en")
	c.press("g.support")
	c.say("my eSIM shows no network")
	posts := w.rec.messages(desk)
	if len(posts) != 1 || !strings.Contains(posts[0].Text, "my eSIM shows no network") {
		t.Fatalf("staff chat: %+v", posts)
	}
	staff := func(chat flows.ChatID, msg, replyTo int64, text string) {
		t.Helper()
		ev := flows.Event{Kind: flows.EventStaff, Chat: chat, User: 801, From: flows.Profile{FirstName: "Sam"},
			MessageID: msg, ReplyTo: replyTo, Text: text}
		if _, err := w.eng.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	answers := func() (n int) {
		for _, m := range w.rec.messages(c.id) {
			if strings.Contains(m.Text, "Support") {
				n++
			}
		}
		return n
	}
	staff(-999, 5, 1, "forged, from another group")
	staff(desk, 6, 42, "a reply to a message of no thread")
	staff(desk, 7, 0, "staff talk")
	if n := answers(); n != 0 {
		t.Fatalf("%d answers reached the customer", n)
	}
	staff(desk, 8, 1, "Turn data roaming on")
	staff(desk, 8, 1, "Turn data roaming on") // the same update again
	if n := answers(); n != 1 {
		t.Fatalf("%d answers, want 1", n)
	}
	if last := c.lastText(); !strings.Contains(last, "Turn data roaming on") {
		t.Errorf("customer's last message %q", last)
	}
}

// TestLongSupportMessageReachesStaffWhole: a customer's message longer than
// one staff post goes to the staff chat in parts, none of it cut off.
func TestLongSupportMessageReachesStaffWhole(t *testing.T) {
	const desk = flows.ChatID(-100)
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
