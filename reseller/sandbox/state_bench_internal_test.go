package sandbox

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
)

// BenchmarkSaleState measures what a program keeping the sandbox's state
// is handed per sale, with many orders before it: the whole snapshot (as
// OnChange was handed before) against the Change of the sale alone.
//
//	go test -run '^$' -bench SaleState -benchmem ./reseller/sandbox
func BenchmarkSaleState(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		s := New(Options{Wallet: decimal.NewFromInt(1_000_000_000)})
		bundle := s.cat.byCode["FRA_5GB_30D"]
		var last *Order
		s.mu.Lock()
		for i := range n {
			last, _ = s.sell(bundle, nil, fmt.Sprintf("B-%d", i), "a@example.com", "A", "")
		}
		s.mu.Unlock()
		b.Run(fmt.Sprintf("orders=%d/snapshot", n), func(b *testing.B) {
			for b.Loop() {
				st, _ := s.snapshot()
				b.SetBytes(int64(len(st)))
			}
		})
		b.Run(fmt.Sprintf("orders=%d/change", n), func(b *testing.B) {
			for b.Loop() {
				c, _ := s.change(last)
				b.SetBytes(int64(len(c.Order) + len(c.Head)))
			}
		})
	}
}
