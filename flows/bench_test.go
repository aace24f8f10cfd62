package flows_test

import (
	"context"
	"testing"

	"github.com/esimbot/esimbot/flows"
)

// BenchmarkBrowse measures one browsing event (a typed country answered
// with its bundle list) through the engine, on the memory store with the
// catalog cached: the engine's own cost per message.
//
//	go test -run '^$' -bench Browse -benchmem ./flows/
func BenchmarkBrowse(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	ev := flows.Event{Chat: 1, User: 1, Kind: flows.EventText, Text: "france", From: flows.Profile{FirstName: "Ada"}}
	if _, err := w.eng.Handle(ctx, ev); err != nil { // warm the catalog cache
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.eng.Handle(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
