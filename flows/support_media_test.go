package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// Copy makes the recorder a flows.Copier: the copy is a message of chat
// whose text names the original, "[copy of <chat>/<message>]", followed by
// " reply to <id>" when it replies to one.
func (r *recorder) Copy(ctx context.Context, chat flows.ChatID, c flows.Copy) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tries == nil {
		r.tries = map[flows.ChatID]int{}
	}
	r.tries[chat]++
	if r.failCopy != nil {
		return 0, r.failCopy
	}
	if err := r.failChat[chat]; err != nil {
		return 0, err
	}
	text := fmt.Sprintf("[copy of %d/%d]", c.From, c.Message)
	if c.ReplyTo != 0 {
		text += fmt.Sprintf(" reply to %d", c.ReplyTo)
	}
	if r.sent == nil {
		r.sent = map[flows.ChatID][]flows.Message{}
	}
	r.sent[chat] = append(r.sent[chat], flows.Message{Text: text, Buttons: c.Buttons})
	return int64(len(r.sent[chat])), nil
}

// sendMedia hands the engine a photo (or any media) of the chat's user:
// message msg of their chat, with a caption.
func (c *chat) sendMedia(msg int64, caption string) {
	c.w.t.Helper()
	c.handle(flows.Event{Kind: flows.EventMedia, MessageID: msg, Text: caption}, fmt.Sprintf("[media %d] %s", msg, caption))
}

// staffMedia hands the engine a staff member's media message in the staff
// chat: message msg, replying to replyTo, with a caption.
func (w *world) staffMedia(msg, replyTo int64, caption string) {
	w.t.Helper()
	ev := flows.Event{Kind: flows.EventStaff, Chat: desk, User: 801, From: flows.Profile{FirstName: "Sam"},
		MessageID: msg, ReplyTo: replyTo, Text: caption, Media: true}
	if _, err := w.eng.Handle(context.Background(), ev); err != nil {
		w.t.Fatal(err)
	}
}

// texts are the texts of the messages of chat, in order.
func (w *world) texts(chat flows.ChatID) []string {
	var out []string
	for _, m := range w.rec.messages(chat) {
		out = append(out, m.Text)
	}
	return out
}

// count counts the messages of chat whose text contains s.
func (w *world) count(chat flows.ChatID, s string) (n int) {
	for _, t := range w.texts(chat) {
		if strings.Contains(t, s) {
			n++
		}
	}
	return n
}

// mediaDesk makes a world with a support desk where customer Ada (chat
// 101) is at the support step.
func mediaDesk(t *testing.T) (*world, *chat) {
	t.Helper()
	w := newWorld(t, func(_ *sandbox.Options, cfg *flows.Config) { cfg.SupportChat = desk })
	c := w.chat(101, "Ada", "en")
	c.press("g.support")
	return w, c
}

// TestSupportMediaBothWays: a customer's photo with a caption reaches the
// staff chat as the thread's header and a copy of the photo under it, and
// is stored with the caption as its text; a staff reply to the copy
// reaches the customer, and a staff reply with a photo reaches them as the
// Support line and a copy with the Reply button. /forget blanks the
// caption and keeps the copies' IDs.
func TestSupportMediaBothWays(t *testing.T) {
	w, c := mediaDesk(t)
	c.sendMedia(55, "the error on my screen")
	if !strings.Contains(c.lastText(), "Sent to our team") {
		t.Fatalf("customer told %q:\n%s", c.lastText(), c.log.String())
	}
	posts := w.texts(desk)
	if len(posts) != 2 {
		t.Fatalf("staff chat: %q", posts)
	}
	for _, want := range []string{"#1", "Ada", "101", "no orders", "attachment below"} {
		if !strings.Contains(posts[0], want) {
			t.Errorf("header lacks %q: %s", want, posts[0])
		}
	}
	if posts[1] != "[copy of 101/55] reply to 1" {
		t.Errorf("staff chat's second message %q, want the copy of the photo replying to the header", posts[1])
	}
	th, err := w.store.ThreadOfPost(t.Context(), 2)
	if err != nil {
		t.Fatalf("the copy is no post of the thread: %v", err)
	}
	if m := th.Messages[0]; m.Text != "the error on my screen" || m.Media != 55 || m.Post != 1 || m.Copy != 2 || !m.Done {
		t.Errorf("stored %+v", m)
	}

	w.staffSays(desk, 3, 2, "Thanks, which phone is it?") // a reply to the copy
	if !strings.Contains(c.lastText(), "which phone is it?") {
		t.Fatalf("a reply to the copy: the customer's last message is %q", c.lastText())
	}
	w.staffMedia(4, 2, "Tap here")
	got := w.rec.messages(c.id)
	line, cp := got[len(got)-2], got[len(got)-1]
	if !strings.Contains(line.Text, "Support") || cp.Text != fmt.Sprintf("[copy of %d/4]", desk) {
		t.Fatalf("the staff's photo reached the customer as %q then %q", line.Text, cp.Text)
	}
	if len(cp.Buttons) == 0 || !strings.Contains(cp.Buttons[0][0].Text, "Reply") {
		t.Errorf("the copy's buttons %+v, want Reply", cp.Buttons)
	}
	c.sendMedia(56, "") // a photo without a caption
	if n := w.count(desk, "[copy of 101/56]"); n != 1 {
		t.Errorf("%d copies of the second photo in the staff chat:\n%q", n, w.texts(desk))
	}

	if err := w.store.Forget(t.Context(), c.user, c.id); err != nil {
		t.Fatal(err)
	}
	th, err = w.store.ThreadOfPost(t.Context(), 2)
	if err != nil {
		t.Fatalf("after /forget: %v", err)
	}
	for _, m := range th.Messages {
		if m.Text != "" {
			t.Errorf("after /forget the thread still says %q", m.Text)
		}
	}
}

// TestSupportMediaRetry: a copy the channel failed is tried again by the
// reconciliation (RetrySupport) until it goes, and what went before it
// (the header, the Support line) is not sent again.
func TestSupportMediaRetry(t *testing.T) {
	w, c := mediaDesk(t)
	w.rec.mu.Lock()
	w.rec.failCopy = fmt.Errorf("copyMessage: 502 Bad Gateway")
	w.rec.mu.Unlock()
	c.sendMedia(55, "the error")
	w.staffMedia(9, 1, "Try this")
	for range 2 {
		if err := w.eng.RetrySupport(t.Context()); err == nil {
			t.Error("RetrySupport: no error while the copy fails")
		}
	}
	if n := w.count(desk, "copy of"); n != 0 {
		t.Fatalf("%d copies while copying fails", n)
	}
	w.rec.mu.Lock()
	w.rec.failCopy = nil
	w.rec.mu.Unlock()
	if err := w.eng.RetrySupport(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.RetrySupport(t.Context()); err != nil {
		t.Fatal(err)
	}
	if h, cp := w.count(desk, "#1"), w.count(desk, "[copy of 101/55]"); h != 1 || cp != 1 {
		t.Errorf("staff chat: %d headers and %d copies, want 1 and 1:\n%q", h, cp, w.texts(desk))
	}
	if l, cp := w.count(c.id, "sent you this"), w.count(c.id, "/9]"); l != 1 || cp != 1 {
		t.Errorf("customer: %d Support lines and %d copies, want 1 and 1:\n%q", l, cp, w.texts(c.id))
	}
}

// TestSupportMediaReplayed: the same media update twice (a replay after a
// restart) is stored and copied once, the customer's and the staff's.
func TestSupportMediaReplayed(t *testing.T) {
	w, c := mediaDesk(t)
	c.sendMedia(55, "the error")
	c.sendMedia(55, "the error")
	w.staffMedia(9, 2, "Try this")
	w.staffMedia(9, 2, "Try this")
	if n := w.count(desk, "[copy of 101/55]"); n != 1 {
		t.Errorf("%d copies of the customer's photo, want 1:\n%q", n, w.texts(desk))
	}
	if n := w.count(c.id, "/9]"); n != 1 {
		t.Errorf("%d copies of the staff's photo, want 1:\n%q", n, w.texts(c.id))
	}
	th, err := w.store.ThreadOfPost(t.Context(), 1)
	if err != nil || len(th.Messages) != 2 {
		t.Errorf("thread %+v, %v; want 2 messages", th, err)
	}
}

// TestSupportMediaToBlockedCustomer: a staff photo to a customer who
// blocked the bot (here between the Support line and the copy) waits for
// them, without a try at every pass, and reaches them when they write
// again, before the reply, the line not twice.
func TestSupportMediaToBlockedCustomer(t *testing.T) {
	w, c := mediaDesk(t)
	c.say("my eSIM shows no network")
	w.rec.mu.Lock()
	w.rec.failCopy = fmt.Errorf("copyMessage: 403 Forbidden: bot was blocked by the user: %w", flows.ErrBlocked)
	w.rec.mu.Unlock()
	w.staffMedia(9, 1, "Turn this on")
	w.block(c.id, true)
	tried := w.rec.tried(c.id)
	for range 3 {
		if err := w.eng.RetrySupport(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.rec.tried(c.id) - tried; n != 0 {
		t.Errorf("%d sends tried to the blocked customer by the retries, want 0", n)
	}
	if n := w.count(desk, "blocked the bot"); n != 1 {
		t.Errorf("%d notes to the staff that the customer blocked the bot, want 1", n)
	}
	w.block(c.id, false)
	w.rec.mu.Lock()
	w.rec.failCopy = nil
	w.rec.mu.Unlock()
	before := len(w.rec.messages(c.id))
	c.say("hello?")
	got := w.texts(c.id)[before:]
	if len(got) < 2 || got[0] != fmt.Sprintf("[copy of %d/9]", desk) || !strings.Contains(got[1], "Sent to our team") {
		t.Fatalf("after writing again the customer gets %q, want the copy first", got)
	}
	if n := w.count(c.id, "sent you this"); n != 1 {
		t.Errorf("%d Support lines, want 1", n)
	}
}

// TestSupportRefusesWhatItCannotCopy: at the support step a contact or a
// message with nothing to copy (a location, a poll) is answered with what
// the desk can pass on; a staff reply of that kind is refused in the
// staff chat. Neither reaches the other side.
func TestSupportRefusesWhatItCannotCopy(t *testing.T) {
	w, c := mediaDesk(t)
	c.contact("33612345678")
	if !strings.Contains(c.lastText(), "can't pass this on") {
		t.Errorf("a contact at the support step: told %q", c.lastText())
	}
	c.say("") // a location, a poll
	if !strings.Contains(c.lastText(), "can't pass this on") {
		t.Errorf("a location at the support step: told %q", c.lastText())
	}
	if n := len(w.rec.messages(desk)); n != 0 {
		t.Fatalf("%d posts in the staff chat, want none", n)
	}
	c.say("my eSIM shows no network")
	w.staffSays(desk, 5, 1, "") // a location
	if n := w.count(desk, "cannot get this"); n != 1 {
		t.Errorf("the staff's location: %q", w.texts(desk))
	}
	if n := w.count(c.id, "Support"); n != 0 {
		t.Errorf("the staff's location reached the customer")
	}
}

// postOnly is a Poster that cannot copy.
type postOnly struct{ r *recorder }

func (p postOnly) Send(ctx context.Context, chat flows.ChatID, m flows.Message) error {
	return p.r.Send(ctx, chat, m)
}
func (p postOnly) Post(ctx context.Context, chat flows.ChatID, m flows.Message) (int64, error) {
	return p.r.Post(ctx, chat, m)
}

// TestNewNeedsACopier: a support chat needs a messenger that copies.
func TestNewNeedsACopier(t *testing.T) {
	w := newWorld(t)
	_, err := flows.New(flows.Config{SupportChat: desk}, w.store, w.api, postOnly{w.rec}, locales.MustNew())
	if err == nil || !strings.Contains(err.Error(), "Copier") {
		t.Errorf("New with a Poster that cannot copy: %v", err)
	}
}

// TestRefusedCopyHoldsNothingBack: a photo whose copy Telegram refuses
// (the customer deleted it) waits for its next try; the customer's next
// message reaches the staff at once, not after the photo's backoff.
func TestRefusedCopyHoldsNothingBack(t *testing.T) {
	w, c := openThread(t)
	w.rec.mu.Lock()
	w.rec.failCopy = fmt.Errorf("copyMessage: 400 Bad Request: message to copy not found: %w", flows.ErrRefused)
	w.rec.mu.Unlock()
	c.sendMedia(40, "the error screen")
	c.say("are you there?")
	last := w.rec.messages(desk)[len(w.rec.messages(desk))-1]
	if !strings.Contains(last.Text, "are you there?") {
		t.Errorf("the staff chat's last post is %q, want the message sent after the refused photo", last.Text)
	}
}
