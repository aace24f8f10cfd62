// Package storetest is the contract of flows.Store and flows.Dedup as a
// test suite, so every implementation (package storage on bbolt,
// flows/memstore in memory) is held to the same semantics:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.StoreUnderTest { return memstore.New() })
//	}
package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
)

// StoreUnderTest is what Run tests: a store and its deduplicator.
type StoreUnderTest interface {
	flows.Store
	flows.Dedup
}

// States lists every sale state, for tests that go over all of them.
var States = []flows.SaleState{
	flows.SaleConfirmed, flows.SalePaid, flows.SaleAssigning,
	flows.SaleAssigned, flows.SaleDelivered, flows.SaleFailed,
}

// T0 is the time the suite's fixtures are built around.
var T0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

// NewSale returns a fully populated sale in state confirmed, created at
// created, for suites and benchmarks that need realistic records.
func NewSale(ref string, user flows.UserID, created time.Time) flows.Sale {
	return flows.Sale{
		Ref:         ref,
		Kind:        flows.KindNew,
		Chat:        flows.ChatID(user),
		User:        user,
		SoldBy:      flows.RoleCustomer,
		Lang:        "fr",
		BundleCode:  "esim_10GB_30D_FR_V2",
		BundleName:  "France 10 GB, 30 days",
		ProfileType: "STANDARD",
		Price:       decimal.RequireFromString("12.90"),
		Currency:    "EUR",
		Cost:        decimal.RequireFromString("8.415"),
		Email:       "ana@example.com",
		Name:        "Ana Lima",
		WhatsApp:    "+33612345678",
		State:       flows.SaleConfirmed,
		History:     []flows.Transition{{State: flows.SaleConfirmed, At: created}},
		Created:     created,
	}
}

// NewConversation returns a conversation of chat at a confirmation step,
// with a draft that uses every kind of field.
func NewConversation(chat flows.ChatID, updated time.Time) flows.Conversation {
	return flows.Conversation{
		Chat:    chat,
		User:    flows.UserID(chat),
		Stamp:   7,
		Step:    "confirm",
		Updated: updated,
		Draft: flows.Draft{
			Kind:     flows.KindNew,
			DestKind: "country",
			DestCode: "FRA",
			Choices:  []string{"FRA", "GUF", "PYF"},
			Page:     1,
			Bundle: &flows.BundleOffer{
				Code: "esim_10GB_30D_FR_V2", Name: "France 10 GB, 30 days",
				Price: decimal.RequireFromString("12.90"), Currency: "EUR",
				Cost: decimal.RequireFromString("8.415"), DataMB: 10240, Days: 30,
				ProfileType: "STANDARD",
			},
			Email: "ana@example.com", Name: "Ana Lima", WhatsApp: "+33612345678",
		},
	}
}

// Run runs the contract suite, each subtest on a fresh store from open.
// open may register cleanups on its t (closing and checking the store).
func Run(t *testing.T, open func(t *testing.T) StoreUnderTest) {
	t.Run("Conversation", func(t *testing.T) { testConversation(t, open) })
	t.Run("Expire", func(t *testing.T) { testExpire(t, open) })
	t.Run("CreateSale", func(t *testing.T) { testCreateSale(t, open) })
	t.Run("UpdateSale", func(t *testing.T) { testUpdateSale(t, open) })
	t.Run("Transitions", func(t *testing.T) { testTransitions(t, open) })
	t.Run("Indexes", func(t *testing.T) { testIndexes(t, open) })
	t.Run("User", func(t *testing.T) { testUser(t, open) })
	t.Run("Forget", func(t *testing.T) { testForget(t, open) })
	t.Run("Staff", func(t *testing.T) { testStaff(t, open) })
	t.Run("Alerts", func(t *testing.T) { testAlerts(t, open) })
	t.Run("UsageAlerts", func(t *testing.T) { testUsageAlerts(t, open) })
	t.Run("Dedup", func(t *testing.T) { testDedup(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("RecordPayment", func(t *testing.T) { testRecordPayment(t, open) })
	t.Run("Support", func(t *testing.T) { testSupport(t, open) })
}

// must returns a function that returns v or fails the test on err:
// must(st.Sale(ctx, ref))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantErr fails the test unless err wraps want.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want one wrapping %q", err, want)
	}
}

// diff fails the test if got and want differ.
func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// refs returns the references of sales, in order.
func refs(sales []flows.Sale) []string {
	out := []string{}
	for _, s := range sales {
		out = append(out, s.Ref)
	}
	return out
}
