package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
)

func testConcurrent(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	t.Run("ManyChats", func(t *testing.T) {
		st := open(t)
		const chats, each = 16, 8
		var wg sync.WaitGroup
		for chat := range flows.ChatID(chats) {
			wg.Go(func() {
				c := NewConversation(chat, T0)
				var err error
				for i := range each {
					c.Step = "browse"
					if c, err = st.SaveConversation(ctx, c); err != nil {
						t.Error(err)
						return
					}
					ref := fmt.Sprintf("EB-%d-%d", chat, i)
					c.Draft.SaleRef = ref
					if c, err = st.CreateSale(ctx, NewSale(ref, flows.UserID(chat), T0.Add(time.Duration(i)*time.Second)), c); err != nil {
						t.Error(err)
						return
					}
					if _, err := st.FirstSeen(ctx, "update", ref, T0); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		for chat := range flows.ChatID(chats) {
			c := must(st.Conversation(ctx, chat))(t)
			if c.Version != 2*each || c.Draft.SaleRef != fmt.Sprintf("EB-%d-%d", chat, each-1) {
				t.Errorf("chat %d at version %d with sale %q", chat, c.Version, c.Draft.SaleRef)
			}
			if got := must(st.SalesByUser(ctx, flows.UserID(chat)))(t); len(got) != each {
				t.Errorf("chat %d has %d sales, want %d", chat, len(got), each)
			}
		}
		if got := must(st.SalesInState(ctx, flows.SaleConfirmed))(t); len(got) != chats*each {
			t.Errorf("%d confirmed sales, want %d", len(got), chats*each)
		}
	})
	t.Run("OneChatOneWinner", func(t *testing.T) {
		st := open(t)
		const writers, rounds = 8, 5
		c := must(st.SaveConversation(ctx, NewConversation(42, T0)))(t)
		for round := range rounds {
			start := make(chan struct{})
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				winners []int
			)
			for w := range writers {
				wg.Go(func() {
					mine := c
					mine.Step = flows.Step(fmt.Sprint("writer", w))
					<-start
					var err error
					if w%2 == 0 {
						_, err = st.SaveConversation(ctx, mine)
					} else {
						_, err = st.CreateSale(ctx, NewSale(fmt.Sprintf("R%d-W%d", round, w), 42, T0), mine)
					}
					switch {
					case err == nil:
						mu.Lock()
						winners = append(winners, w)
						mu.Unlock()
					case !errors.Is(err, flows.ErrConflict):
						t.Errorf("writer %d: %v", w, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("round %d: writers %v won, want exactly one", round, winners)
			}
			c = must(st.Conversation(ctx, 42))(t)
			if want := flows.Step(fmt.Sprint("writer", winners[0])); c.Version != uint64(round+2) || c.Step != want {
				t.Fatalf("round %d: stored version %d step %q, want %d %q", round, c.Version, c.Step, round+2, want)
			}
			sales := must(st.SalesByUser(ctx, 42))(t)
			wantSales := 0
			if winners[0]%2 == 1 {
				wantSales = 1
			}
			n := 0
			for _, s := range sales {
				if strings.HasPrefix(s.Ref, fmt.Sprintf("R%d-", round)) {
					n++
				}
			}
			if n != wantSales {
				t.Errorf("round %d: %d sales written, want %d (the winner's only)", round, n, wantSales)
			}
		}
	})
	t.Run("OneKeyOneFirst", func(t *testing.T) {
		st := open(t)
		const n = 16
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			first int
		)
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				ok, err := st.FirstSeen(ctx, "update", "777", T0)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					first++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if first != 1 {
			t.Errorf("%d callers saw the key first, want 1", first)
		}
	})
}
