package storage_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/storetest"
	"github.com/esimbot/esimbot/storage"
)

// BenchmarkSaveConversation measures conversation writes per second with
// fsync on: one chat written in a loop, and 64 chats written at once
// (their saves share commits through bbolt's Batch), with the default
// batch delay (1 ms) and with bbolt's (10 ms).
func BenchmarkSaveConversation(b *testing.B) {
	for _, bc := range []struct {
		chats int
		delay time.Duration
	}{{1, 0}, {64, 0}, {1, 10 * time.Millisecond}, {64, 10 * time.Millisecond}} {
		name := fmt.Sprintf("chats=%d", bc.chats)
		if bc.delay != 0 {
			name += fmt.Sprintf(",delay=%v", bc.delay)
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			chats := bc.chats
			st := MustOpenPath(b, filepath.Join(b.TempDir(), "esimbot.db"), storage.Options{MaxBatchDelay: bc.delay})
			convs := make([]flows.Conversation, chats)
			for i := range convs {
				c, err := st.SaveConversation(ctx, storetest.NewConversation(flows.ChatID(i), storetest.T0))
				if err != nil {
					b.Fatal(err)
				}
				convs[i] = c
			}
			shareOps(b, chats, func(i int) error {
				c := convs[i]
				c.Stamp++
				c.Updated = c.Updated.Add(time.Second)
				var err error
				convs[i], err = st.SaveConversation(ctx, c)
				return err
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}

// BenchmarkCreateSale measures sales created per second, each with its
// conversation's move, in one transaction and one fsync.
func BenchmarkCreateSale(b *testing.B) {
	ctx := context.Background()
	st := MustOpen(b)
	c := storetest.NewConversation(1, storetest.T0)
	b.ResetTimer()
	for i := range b.N {
		var err error
		c.Draft.SaleRef = fmt.Sprintf("EB-%08d", i)
		if c, err = st.CreateSale(ctx, storetest.NewSale(c.Draft.SaleRef, 1, storetest.T0.Add(time.Duration(i)*time.Second)), c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sales/s")
}

// BenchmarkFileSize reports the size of a file holding 10,000 delivered
// sales (ICCID, order ID, activation code, four transitions) of 2,500
// customers, with their users and conversations, each sale created in its
// own transaction with its conversation's move, with references made as
// flows makes them (growing with time). "used-bytes" is the part of the
// file in use (a backup's size); the file itself grows by steps.
func BenchmarkFileSize(b *testing.B) {
	const sales, customers = 10_000, 2_500
	ctx := context.Background()
	for range b.N {
		path := filepath.Join(b.TempDir(), "esimbot.db")
		st, err := storage.Open(path, storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		convs := make([]flows.Conversation, customers)
		var wg sync.WaitGroup
		for w := range 8 { // eight writers: the same file, fewer fsyncs
			wg.Go(func() {
				for i := range sales {
					user := i % customers
					if user%8 != w {
						continue // each user is one writer's
					}
					at := storetest.T0.Add(time.Duration(i) * time.Minute)
					ref := fmt.Sprintf("EB-%s%08X", strings.ToUpper(strconv.FormatInt(at.Unix(), 36)), uint32(i)*2654435761)
					s := storetest.NewSale(ref, flows.UserID(user), at)
					s.OrderID = fmt.Sprint(4_000_000 + i)
					s.ICCID = fmt.Sprintf("89330%014d", i)
					s.LPA = fmt.Sprintf("LPA:1$smdp.example.com$%032X", i)
					for j, state := range []flows.SaleState{flows.SaleAssigning, flows.SaleAssigned, flows.SaleDelivered} {
						if err := s.MoveTo(state, at.Add(time.Duration(j+1)*time.Second)); err != nil {
							b.Error(err)
							return
						}
					}
					c := convs[user]
					if c.Chat == 0 {
						c = storetest.NewConversation(flows.ChatID(user+1), at)
						if err := st.SaveUser(ctx, flows.User{ID: flows.UserID(user), Lang: "fr", Role: flows.RoleCustomer,
							Email: s.Email, Name: s.Name, FirstSeen: at, LastSeen: at}); err != nil {
							b.Error(err)
							return
						}
					}
					c.Draft.SaleRef = s.Ref
					c, err := st.CreateSale(ctx, s, c)
					if err != nil {
						b.Error(err)
						return
					}
					convs[user] = c
				}
			})
		}
		wg.Wait()
		used, err := st.WriteBackup(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(fi.Size()), "bytes/10k-sales")
		b.ReportMetric(float64(used), "used-bytes/10k-sales")
	}
}

// BenchmarkSweep measures a sweep of idle conversations in a file of
// 100,000, of which 1,000 expire, while a chat keeps saving its own
// conversation: "sweep-ms" is the sweep's time, "max-save-ms" the longest
// a concurrent save waited (the write lock the sweep holds).
func BenchmarkSweep(b *testing.B) {
	const total, idle = 100_000, 1_000
	ctx := context.Background()
	st := MustOpen(b)
	now := time.Now()
	for lo := 0; lo < total; lo += 5_000 {
		var wg sync.WaitGroup
		for i := lo; i < lo+5_000; i++ {
			wg.Go(func() {
				at := now.Add(-time.Duration(i%1000) * time.Second) // active
				if i%(total/idle) == 0 {
					at = now.Add(-48 * time.Hour) // idle
				}
				if _, err := st.SaveConversation(ctx, storetest.NewConversation(flows.ChatID(i+1), at)); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	var sweep, maxSave time.Duration
	for range b.N {
		stop := make(chan struct{})
		done := make(chan time.Duration)
		go func() {
			c, err := st.Conversation(ctx, -1)
			if err != nil {
				c = storetest.NewConversation(-1, now)
			}
			var longest time.Duration
			for {
				select {
				case <-stop:
					done <- longest
					return
				default:
				}
				t0 := time.Now()
				c.Stamp++
				if c, err = st.SaveConversation(ctx, c); err != nil {
					b.Error(err)
				}
				longest = max(longest, time.Since(t0))
			}
		}()
		t0 := time.Now()
		n, err := st.ExpireConversations(ctx, now.Add(-24*time.Hour))
		sweep += time.Since(t0)
		close(stop)
		maxSave = max(maxSave, <-done)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		for i := 0; i < n; i++ { // put the idle ones back for the next round
			chat := flows.ChatID(i*(total/idle) + 1)
			if _, err := st.SaveConversation(ctx, storetest.NewConversation(chat, now.Add(-48*time.Hour))); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(sweep.Microseconds())/1000/float64(b.N), "sweep-ms")
	b.ReportMetric(float64(maxSave.Microseconds())/1000, "max-save-ms")
}

// BenchmarkRead measures the reads every update makes (its user and its
// conversation) and the read of a sale, in one goroutine, of a record
// unchanged since it was written.
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	st := MustOpen(b)
	u := flows.User{ID: 7, Lang: "fr", Email: "ana@example.com", Name: "Ana", FirstSeen: storetest.T0, LastSeen: storetest.T0.Add(time.Hour)}
	if err := st.SaveUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	c := storetest.NewConversation(7, storetest.T0)
	c.Draft = flows.Draft{DestKind: "country", DestCode: "FRA", Choices: []string{"a", "b", "c", "d", "e"},
		Bundle: &flows.BundleOffer{Code: "esim_1GB_7D_FR", Name: "1 GB, 7 days", Countries: []string{"FRA"}, DataMB: 1024, Days: 7},
		Email:  "ana@example.com", Name: "Ana"}
	c, err := st.SaveConversation(ctx, c)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateSale(ctx, storetest.NewSale("R1", 7, storetest.T0), c); err != nil {
		b.Fatal(err)
	}
	b.Run("user", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.User(ctx, 7); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("conversation", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Conversation(ctx, 7); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sale", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Sale(ctx, "R1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpdateSale measures sale updates per second with fsync on, 64
// sales updated at once (their updates share commits), each update a
// decoding of the stored sale and an encoding of the new one.
func BenchmarkUpdateSale(b *testing.B) {
	ctx := context.Background()
	st := MustOpen(b)
	const sales = 64
	for i := range sales {
		c := storetest.NewConversation(flows.ChatID(i), storetest.T0)
		if _, err := st.CreateSale(ctx, storetest.NewSale(fmt.Sprintf("R%d", i), flows.UserID(i), storetest.T0), c); err != nil {
			b.Fatal(err)
		}
	}
	shareOps(b, sales, func(i int) error {
		_, err := st.UpdateSale(ctx, fmt.Sprintf("R%d", i), func(s *flows.Sale) error { s.Attempts++; return nil })
		return err
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

// shareOps runs b.N calls of op among n goroutines, goroutine i calling
// op(i) until the calls are done or one fails, after resetting the timer.
func shareOps(b *testing.B, n int, op func(i int) error) {
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := range n {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
