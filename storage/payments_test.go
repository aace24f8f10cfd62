package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/storetest"
	"github.com/esimbot/esimbot/storage"
)

// TestSchemaV4File opens testdata/schema-v4.db, a file written by schema
// version 4 (what fillV3 writes), and checks migration 4 → 5: the payment
// buckets exist, payments are recorded, and what the file held is kept.
// go test -update writes the file again (only while SchemaVersion is 4).
func TestSchemaV4File(t *testing.T) {
	ctx := context.Background()
	const fixture = "testdata/schema-v4.db"
	if *update && storage.SchemaVersion == 4 {
		path := newFile(t, func(st *storage.Store) { fillV3(t, st) })
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixture, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "esimbot.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st := MustOpenPath(t, path, storage.Options{DedupWindow: 100 * 365 * 24 * time.Hour})
	if s, err := st.Sale(ctx, "EB-1"); err != nil || s.User != 5 {
		t.Errorf("sale EB-1: %+v, %v", s, err)
	}
	p := flows.Payment{ChargeID: "ch-1", User: 5, Chat: 5, Stars: 10, Currency: "XTR", Ref: "EB-404", At: storetest.T0}
	if _, isNew, err := st.RecordPayment(ctx, p, func(p *flows.Payment, _ *flows.Sale) bool { p.Problem = "unknown"; return false }); err != nil || !isNew {
		t.Fatalf("record a payment: new %t, %v", isNew, err)
	}
	if pays, err := st.PaymentsByUser(ctx, 5); err != nil || len(pays) != 1 {
		t.Errorf("payments of user 5: %+v, %v", pays, err)
	}
}
