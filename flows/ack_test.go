package flows_test

import (
	"context"
	"sync"
	"testing"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/memstore"
	"github.com/esimbot/esimbot/locales"
)

// savesLog is a store that logs each save of a conversation, for the
// order of a tap's answer and its write.
type savesLog struct {
	*memstore.Store
	mu  *sync.Mutex
	log *[]string
}

func (s savesLog) SaveConversation(ctx context.Context, c flows.Conversation) (flows.Conversation, error) {
	s.mu.Lock()
	*s.log = append(*s.log, "save "+string(c.Step))
	s.mu.Unlock()
	return s.Store.SaveConversation(ctx, c)
}

// A tap is answered (Event.Ack) once its screen is sent and before the
// conversation is written: the answer does not wait for the disk.
func TestAckBeforeTheSave(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	var log []string
	eng, err := flows.New(w.cfg, savesLog{Store: w.store, mu: &mu, log: &log}, w.api, w.rec, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
	c := w.chat(7001, "Ada", "en")
	c.command("/start")
	buy := c.button("🛒")
	mu.Lock()
	log = nil
	mu.Unlock()
	out, err := eng.Handle(context.Background(), flows.Event{Chat: c.id, User: c.user, From: c.from, Kind: flows.EventButton,
		Data: buy, Origin: "the tapped message", Ack: func(o flows.Outcome) {
			mu.Lock()
			defer mu.Unlock()
			log = append(log, "ack "+o.Notice)
		}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(log) != 2 || log[0] != "ack "+out.Notice || log[1] != "save destination" {
		t.Errorf("order %q, want the answer, then the save of the destination step", log)
	}
}
