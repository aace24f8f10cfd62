package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// staffChat is the support desk's staff group in these tests.
const staffChat = -1001234567890

// staffRoom is the staff group as its members see it.
type staffRoom struct {
	t       *testing.T
	fake    *telegramtest.Server
	matched map[int]bool
}

// expect waits for a new bot message in the staff chat containing s.
func (r *staffRoom) expect(s string) telegramtest.Message {
	r.t.Helper()
	return r.await(fmt.Sprintf("%q", s), func(msgs []telegramtest.Message) (telegramtest.Message, bool) {
		for _, m := range msgs {
			if m.FromBot && !r.matched[m.ID] && strings.Contains(m.Text, s) {
				r.matched[m.ID] = true
				return m, true
			}
		}
		return telegramtest.Message{}, false
	})
}

// await waits for the staff chat's message find finds, described by what.
func (r *staffRoom) await(what string, find func([]telegramtest.Message) (telegramtest.Message, bool)) telegramtest.Message {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var found telegramtest.Message
	_, err := r.fake.WaitFor(ctx, staffChat, func(msgs []telegramtest.Message) bool {
		m, ok := find(msgs)
		found = m
		return ok
	})
	if err != nil {
		r.t.Fatalf("staff chat: expecting %s: %v\n%s", what, err, r.fake.Transcript(staffChat))
	}
	return found
}

// reply is a staff member's Telegram reply to message to in the staff chat.
func (r *staffRoom) reply(staff int64, to int, text string) {
	r.fake.SendReply(staffChat, staff, to, text)
}

// TestSupportDesk plays the support desk through run on the fake Bot API:
// two customers write, the staff answer each by replying, the threads stay
// apart, a restart in the middle of a thread loses nothing either way,
// replies to other messages and messages of other chats reach no one, and
// closing (by /close and by the button) tells the customer.
func TestSupportDesk(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	fake.AddGroup(staffChat)
	fake.SetUser(801, "Sam", "", "sam_staff", "en")
	sb := sandbox.New(sandbox.Options{})
	db := filepath.Join(t.TempDir(), "bot.db")
	env := map[string]string{"ESIMBOT_SUPPORT_CHAT": fmt.Sprint(staffChat)}
	r := startRun(t, fake, sb, db, env)
	staff := &staffRoom{t: t, fake: fake, matched: map[int]bool{}}
	ada := newChat(t, fake, 701, "Ada", "fr")
	bob := newChat(t, fake, 702, "Bob", "en")

	ada.say("/help")
	ada.expect("Rubriques d’aide")
	ada.tap("Contacter le support")
	ada.expect("Écrire à notre équipe")
	ada.say("Mon eSIM ne marche pas <b>vraiment</b>")
	ada.expect("Envoyé à notre équipe")
	fromAda := staff.expect("Mon eSIM ne marche pas")
	for _, want := range []string{"#1", "Ada", "701", "fr", "no orders", "<b>vraiment</b>"} {
		if !strings.Contains(fromAda.Text, want) {
			t.Errorf("forwarded message lacks %q:\n%s", want, fromAda.Text)
		}
	}
	bob.say("/start")
	bob.expect("What would you like to do")
	bob.say("/help")
	bob.expect("Help topics")
	bob.tap("Contact support")
	bob.expect("Write to our team")
	bob.say("Where is my order?")
	bob.expect("Sent to our team")
	fromBob := staff.expect("Where is my order?")
	if !strings.Contains(fromBob.Text, "#2") || strings.Contains(fromBob.Text, "Ada") {
		t.Errorf("Bob's message: %s", fromBob.Text)
	}

	staff.reply(801, fromBob.ID, "Hi Bob, it is on its way")
	bob.expect("it is on its way")
	staff.reply(801, fromAda.ID, "Bonjour Ada, quel téléphone ?")
	answer := ada.expect("quel téléphone")
	if !strings.Contains(answer.Text, "Support") {
		t.Errorf("answer %q", answer.Text)
	}

	// A restart in the middle of the thread: a message the staff chat
	// refused before the stop, and what was written either way while the
	// bot was down, arrive once it is back.
	fake.FailNext("sendMessage", 1, 500, 0) // the post of Bob's message to the staff chat
	bob.say("Any news?")
	bob.expect("Sent to our team")
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, r.stderr)
	}
	ada.say("Un iPhone 13, toujours rien")
	staff.reply(801, fromAda.ID, "Avez-vous activé l’itinérance ?")
	startRun(t, fake, sb, db, env) // stopped at the end of the test
	again := staff.expect("toujours rien")
	if !strings.Contains(again.Text, "#1") {
		t.Errorf("after the restart, in thread %s", again.Text)
	}
	ada.expect("itinérance")
	if m := staff.expect("Any news?"); !strings.Contains(m.Text, "#2") {
		t.Errorf("Bob's message after the restart: %s", m.Text)
	}
	staff.reply(801, again.ID, "Redémarrez le téléphone.") // a reply to the thread's second message
	ada.expect("Redémarrez")

	// Replies to other messages of the staff chat, and messages of other
	// chats, reach no one.
	fake.SendGroupText(staffChat, 801, "Who takes lunch first?")
	msgs := fake.Messages(staffChat)
	staff.reply(801, msgs[len(msgs)-1].ID, "me, staff only")
	fake.SendGroupText(-4242, 666, "/close")
	fake.AddUpdate(fmt.Sprintf(`{"message":{"message_id":7,"date":1,"chat":{"id":-4242,"type":"group","title":"Other"},
		"from":{"id":666,"is_bot":false,"first_name":"Mallory"},"text":"forged answer",
		"reply_to_message":{"message_id":%d,"date":1,"chat":{"id":-4242,"type":"group","title":"Other"},"text":"x"}}}`, fromAda.ID))
	fake.SendGroupText(-4242, 666, "/start") // answered once the forged update before it was handled
	other := &tgChat{t: t, fake: fake, id: -4242, matched: map[[2]int]bool{}}
	other.expect("private chat") // the answer to /close
	other.expect("private chat") // and to /start

	// Closing: /close as a reply, and the button.
	staff.reply(801, fromAda.ID, "/close")
	ada.expect("a clos cette conversation")
	staff.expect("Thread #1 closed by Sam")
	staff.reply(801, fromAda.ID, "one more thing")
	staff.expect("Thread #1 is closed")
	if _, _, err := fake.PressButtonText(staffChat, 801, fromBob.ID, "✅ Close"); err != nil {
		t.Fatal(err)
	}
	bob.expect("closed this conversation")
	staff.expect("Thread #2 closed by Sam")

	for _, c := range []struct {
		who    *tgChat
		others []string
	}{
		{ada, []string{"on its way", "staff only", "forged", "one more thing", "lunch"}},
		{bob, []string{"quel téléphone", "itinérance", "Redémarrez", "staff only", "forged", "lunch"}},
	} {
		for _, m := range fake.Messages(c.who.id) {
			for _, s := range c.others {
				if m.FromBot && strings.Contains(m.Text, s) {
					t.Errorf("chat %d got %q: %q", c.who.id, s, m.Text)
				}
			}
		}
	}
	if n := strings.Count(fake.Transcript(701), "itinérance"); n != 1 {
		t.Errorf("the answer given while down reached Ada %d times:\n%s", n, fake.Transcript(701))
	}
	for _, m := range fake.Messages(-4242) {
		if m.FromBot && strings.Contains(m.Text, "Mon eSIM") {
			t.Errorf("another group saw a thread: %q", m.Text)
		}
	}
}

// copyOf waits for the bot's copy of message id of chat from in the staff
// chat.
func (r *staffRoom) copyOf(from int64, id int) telegramtest.Message {
	r.t.Helper()
	return r.await(fmt.Sprintf("a copy of %d#%d", from, id), func(msgs []telegramtest.Message) (telegramtest.Message, bool) {
		return telegramtest.CopyOf(msgs, from, id)
	})
}

// lastID is the ID of the newest message of a chat.
func lastID(fake *telegramtest.Server, chat int64) int {
	msgs := fake.Messages(chat)
	return msgs[len(msgs)-1].ID
}

// TestSupportDeskMedia plays screenshots through run on the fake Bot API:
// a customer's photo with a caption reaches the staff group as the
// thread's header and a copy of the photo replying to it; a staff reply to
// the copy, with text and with a document, reaches the customer, the
// document as the Support line and a copy with the Reply button; what
// cannot be copied (a shared contact) is refused with a clear message.
func TestSupportDeskMedia(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	fake.AddGroup(staffChat)
	fake.SetUser(801, "Sam", "", "sam_staff", "en")
	sb := sandbox.New(sandbox.Options{})
	startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), map[string]string{"ESIMBOT_SUPPORT_CHAT": fmt.Sprint(staffChat)})
	staff := &staffRoom{t: t, fake: fake, matched: map[int]bool{}}
	ada := newChat(t, fake, 701, "Ada", "en")

	ada.say("/help")
	ada.expect("Help topics")
	ada.tap("Contact support")
	ada.expect("screenshot")
	fake.SendContact(701, 701, "+33612345678")
	ada.expect("can't pass this on")
	fake.SendPhoto(701, 701, 0, "This error shows up")
	photo := lastID(fake, 701)
	ada.expect("Sent to our team")
	header := staff.expect("attachment below")
	for _, want := range []string{"#1", "Ada", "701", "no orders"} {
		if !strings.Contains(header.Text, want) {
			t.Errorf("header lacks %q:\n%s", want, header.Text)
		}
	}
	copied := staff.copyOf(701, photo)
	if copied.Photo == nil || copied.Caption != "This error shows up" || copied.ReplyTo != header.ID || copied.ID < header.ID {
		t.Errorf("the copy in the staff chat: %+v (header %d)", copied, header.ID)
	}

	staff.reply(801, copied.ID, "Which phone is it?")
	ada.expect("Which phone is it?")
	fake.SendDocument(staffChat, 801, copied.ID, "apn-settings.pdf", []byte("%PDF-1.4 APN"), "Follow page 2")
	ada.expect("sent you this")
	answer := ada.expect("Follow page 2")
	if answer.Document == nil || answer.Document.Filename != "apn-settings.pdf" || answer.CopiedFrom != staffChat {
		t.Errorf("the staff's document reached Ada as %+v", answer)
	}
	if b := answer.Buttons(); len(b) == 0 || !strings.Contains(b[0][0].Text, "Reply") {
		t.Errorf("the copy's buttons %+v, want Reply", b)
	}
	if n := strings.Count(fake.Transcript(staffChat), "(copy of 701#"); n != 1 {
		t.Errorf("%d copies in the staff chat, want 1:\n%s", n, fake.Transcript(staffChat))
	}
}

// TestSupportWithoutChat: with no staff chat, Contact support shows the
// shop's contact.
func TestSupportWithoutChat(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), map[string]string{"ESIMBOT_SUPPORT": "@my_shop"})
	c := newChat(t, fake, 701, "Ada", "en")
	c.say("/help")
	c.expect("Help topics")
	c.tap("Contact support")
	c.expect("@my_shop")
}

// TestSupportChatConfig: ESIMBOT_SUPPORT_CHAT takes a group's (negative)
// chat ID, from the variable or its flag, and ESIMBOT_SUPPORT_LANG one of
// the catalog's languages (English by default); anything else stops the
// program, naming the variable.
func TestSupportChatConfig(t *testing.T) {
	load := func(env map[string]string, args ...string) (config, error) {
		vars := map[string]string{"TELEGRAM_BOT_TOKEN": testToken}
		maps.Copy(vars, env)
		m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return vars[k] }}
		return m.loadConfig(m.newFlagSet("run", "run"), args)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want flows.ChatID
	}{
		{"None", nil, nil, 0},
		{"Env", map[string]string{"ESIMBOT_SUPPORT_CHAT": "-1001234567890"}, nil, -1001234567890},
		{"Flag", map[string]string{"ESIMBOT_SUPPORT_CHAT": "-1"}, []string{"-support-chat", "-42"}, -42},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(tc.env, tc.args...)
			if err != nil || c.SupportChat != tc.want {
				t.Errorf("support chat %d, %v; want %d", c.SupportChat, err, tc.want)
			}
		})
	}
	for _, bad := range []struct{ name, value string }{
		{"ESIMBOT_SUPPORT_CHAT", "123456"}, {"ESIMBOT_SUPPORT_CHAT", "0"}, {"ESIMBOT_SUPPORT_CHAT", "staff"},
		{"ESIMBOT_SUPPORT_CHAT", "-1x"}, {"ESIMBOT_SUPPORT_LANG", "de"}, {"ESIMBOT_SUPPORT_LANG", "French"},
	} {
		_, err := load(map[string]string{bad.name: bad.value})
		var ce *configError
		if !errors.As(err, &ce) || ce.name != bad.name {
			t.Errorf("%s=%q: got %v, want an error naming it", bad.name, bad.value, err)
		}
	}
	for env, want := range map[string]string{"": "en", "fr": "fr", "ar": "ar"} {
		vars := map[string]string{}
		if env != "" {
			vars["ESIMBOT_SUPPORT_LANG"] = env
		}
		if c, err := load(vars); err != nil || c.SupportLang != want {
			t.Errorf("ESIMBOT_SUPPORT_LANG=%q: language %q, %v; want %q", env, c.SupportLang, err, want)
		}
	}
}
