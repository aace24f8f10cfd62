package bot_test

import (
	"context"
	"testing"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
)

// The share-number keyboard of a contact request stays while the
// conversation awaits a contact (an error, a sale's notice), and goes with
// its first message that does not: on that message when it is plain text,
// else on a short message of its own before it.
func TestShareNumberKeyboard(t *testing.T) {
	const chat = 71
	h := start(t, nil)
	h.fake.SetUser(chat, "K", "", "", "en")
	h.running()
	send := func(m flows.Message) {
		t.Helper()
		if err := h.bot.Messenger().Send(context.Background(), chat, m); err != nil {
			t.Fatal(err)
		}
	}
	open := func() bool { return len(h.fake.ReplyKeyboard(chat)) > 0 }
	last := func(n int) []telegramtest.Message {
		msgs := telegramtest.FromBot(h.fake.Messages(chat))
		return msgs[max(0, len(msgs)-n):]
	}
	ask := flows.Message{Text: "Your number?", Buttons: [][]flows.Button{{{Text: "Skip", Data: "1.skip"}}}, Awaits: flows.InputContact,
		Contact: &flows.ContactRequest{Share: "Share my number", Withdraw: "OK."}}

	send(ask)
	if !open() {
		t.Fatal("no share-number keyboard after a contact request")
	}
	send(flows.Message{Text: "Not a phone number.", Awaits: flows.InputContact})
	send(flows.Message{Text: "Your eSIM is ready."}) // a sale's notice
	if !open() {
		t.Fatal("the keyboard closed while the conversation awaits a contact")
	}
	send(flows.Message{Text: "WhatsApp number: +2207000000", Awaits: flows.InputText})
	if open() {
		t.Error("the keyboard stays after the conversation moved on")
	}
	if m := last(1); m[0].Text != "WhatsApp number: +2207000000" {
		t.Errorf("the removal went on %q, want the plain message itself", m[0].Text)
	}

	send(ask)
	send(flows.Message{Text: "Menu", Buttons: [][]flows.Button{{{Text: "Buy", Data: "2.buy"}}}, Awaits: flows.InputText})
	if open() {
		t.Error("the keyboard stays after a screen with buttons")
	}
	if m := last(2); m[0].Text != "OK." || m[1].Text != "Menu" || len(m[1].Buttons()) != 1 {
		t.Errorf("got %q then %q (%d button rows), want OK. then the screen with its buttons", m[0].Text, m[1].Text, len(m[1].Buttons()))
	}
	before := h.fake.Calls("sendMessage")
	send(flows.Message{Text: "Help", Awaits: flows.InputText})
	if n := h.fake.Calls("sendMessage") - before; n != 1 {
		t.Errorf("%d messages for one with no keyboard open, want 1", n)
	}
}
