package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// benchAPI is the lean fake Bot API of "esimbot bench": enough of Telegram
// for the bot and a bare go-telegram/bot bot, on loopback, with what the
// simulated users need (the latest screen of a chat, whether a tap was
// answered, when the bot last replied) and nothing that costs: no
// validation of texts or keyboards beyond reading them.
type benchAPI struct {
	token string
	srv   *http.Server
	url   string

	mu       sync.Mutex
	next     int64         // the next update ID
	queue    []benchUpdate // offered, not yet confirmed, in ID order
	arrived  chan struct{} // closed and replaced when an update is offered
	polled   chan struct{} // closed at the first getUpdates
	pollOnce sync.Once
	chats    map[int64]*benchChat
	queries  int64
	asked    map[string]int64 // callback query ID → its chat, until answered
	calls    map[string]int
	replies  int // bot messages, edits, photos and answers
	actions  int // chat actions
	received int // updates taken by getUpdates (the first time)
	given    int64
}

// benchUpdate is an update offered to getUpdates.
type benchUpdate struct {
	id  int64
	raw json.RawMessage
}

// benchChat is what the fake keeps of one chat.
type benchChat struct {
	id      int64
	nextMsg int
	msgs    map[int]*benchMsg
	screen  int                  // the latest bot message with inline buttons
	answers map[string]time.Time // callback query ID → when answered
	last    time.Time            // the bot's last reply (message, edit, photo, answer)
	changed chan struct{}        // closed and replaced on every change
}

// benchMsg is a message of a chat.
type benchMsg struct {
	id      int
	text    string
	buttons []benchButton
	photo   bool
	at      time.Time // sent or last edited
}

// benchButton is an inline button.
type benchButton struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// newBenchAPI starts a fake Bot API for token on a loopback port.
func newBenchAPI(token string) (*benchAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// Update IDs go on from run to run, as Telegram's do: a file kept in
	// -dir has seen the earlier ones.
	a := &benchAPI{token: token, next: time.Now().UnixMilli(), arrived: make(chan struct{}), polled: make(chan struct{}), chats: map[int64]*benchChat{}, calls: map[string]int{}, asked: map[string]int64{}}
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	a.url = "http://" + ln.Addr().String()
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// close stops the server.
func (a *benchAPI) close() { _ = a.srv.Close() }

// chat returns a chat's state; a.mu must be held.
func (a *benchAPI) chat(id int64) *benchChat {
	c := a.chats[id]
	if c == nil {
		c = &benchChat{id: id, msgs: map[int]*benchMsg{}, answers: map[string]time.Time{}, changed: make(chan struct{})}
		a.chats[id] = c
	}
	return c
}

// touch wakes whoever waits on c; a.mu must be held.
func (c *benchChat) touch() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// offer queues an update built by build from its ID, and returns when it
// was offered; a.mu must not be held.
func (a *benchAPI) offer(build func(id int64) any) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	id := a.next
	a.next++
	raw, _ := json.Marshal(build(id))
	a.queue = append(a.queue, benchUpdate{id: id, raw: raw})
	close(a.arrived)
	a.arrived = make(chan struct{})
	return time.Now()
}

// wire forms of the updates users make.
type (
	wireChat struct {
		ID        int64  `json:"id"`
		Type      string `json:"type"`
		FirstName string `json:"first_name"`
	}
	wireFrom struct {
		ID           int64  `json:"id"`
		IsBot        bool   `json:"is_bot"`
		FirstName    string `json:"first_name"`
		LanguageCode string `json:"language_code"`
	}
	wireMessage struct {
		ID   int      `json:"message_id"`
		Date int64    `json:"date"`
		Chat wireChat `json:"chat"`
		From wireFrom `json:"from"`
		Text string   `json:"text,omitempty"`
	}
	wireQuery struct {
		ID           string      `json:"id"`
		From         wireFrom    `json:"from"`
		Message      wireMessage `json:"message"`
		ChatInstance string      `json:"chat_instance"`
		Data         string      `json:"data"`
	}
)

func benchSender(chat int64) (wireChat, wireFrom) {
	return wireChat{ID: chat, Type: "private", FirstName: "Ada"}, wireFrom{ID: chat, FirstName: "Ada", LanguageCode: "en"}
}

// sendText offers a user's text message in chat.
func (a *benchAPI) sendText(chat int64, text string) time.Time {
	a.mu.Lock()
	c := a.chat(chat)
	c.nextMsg++
	msg := c.nextMsg
	a.mu.Unlock()
	wc, wf := benchSender(chat)
	return a.offer(func(id int64) any {
		return map[string]any{"update_id": id, "message": wireMessage{ID: msg, Date: time.Now().Unix(), Chat: wc, From: wf, Text: text}}
	})
}

// press offers a tap on a button of a message, and returns the query's ID.
func (a *benchAPI) press(chat int64, msg int, data string) (time.Time, string) {
	a.mu.Lock()
	a.queries++
	q := "q" + strconv.FormatInt(a.queries, 10)
	a.asked[q] = chat
	text := ""
	if m := a.chat(chat).msgs[msg]; m != nil {
		text = m.text
	}
	a.mu.Unlock()
	wc, wf := benchSender(chat)
	at := a.offer(func(id int64) any {
		return map[string]any{"update_id": id, "callback_query": wireQuery{ID: q, From: wf, ChatInstance: "1", Data: data,
			Message: wireMessage{ID: msg, Date: time.Now().Unix(), Chat: wc, From: wireFrom{ID: 1, IsBot: true, FirstName: "Bot"}, Text: text}}}
	})
	return at, q
}

// wait waits until cond holds on chat (checked under a.mu), or ctx ends.
func (a *benchAPI) wait(ctx context.Context, chat int64, cond func(c *benchChat) bool) error {
	for {
		a.mu.Lock()
		c := a.chat(chat)
		if cond(c) {
			a.mu.Unlock()
			return nil
		}
		ch := c.changed
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// counts returns the bot's replies, chat actions and the updates handed out.
func (a *benchAPI) counts() (replies, actions, updates int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.replies, a.actions, a.received
}
