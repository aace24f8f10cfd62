package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
)

func testUser(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	_, err := st.User(ctx, 7)
	wantErr(t, err, flows.ErrNotFound)
	u := flows.User{ID: 7, Lang: "ar", Role: flows.RoleAgent, Email: "a@example.com", Name: "Amal",
		WhatsApp: "+212600000000", FirstSeen: T0, LastSeen: T0.Add(time.Hour), Blocked: true}
	if err := st.SaveUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	diff(t, "user", must(st.User(ctx, 7))(t), u)
	u.Lang, u.Blocked, u.LastSeen = "fr", false, T0.Add(2*time.Hour)
	if err := st.SaveUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	diff(t, "user after a second save", must(st.User(ctx, 7))(t), u)
	_, err = st.User(ctx, 8)
	wantErr(t, err, flows.ErrNotFound)
}

func testForget(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	u := flows.User{ID: 7, Lang: "fr", Role: flows.RoleCustomer, Email: "a@example.com", Name: "Ana",
		WhatsApp: "+33600000000", FirstSeen: T0, LastSeen: T0.Add(time.Hour)}
	if err := st.SaveUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	other := flows.User{ID: 8, Email: "b@example.com", Name: "Bo", FirstSeen: T0, LastSeen: T0}
	if err := st.SaveUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	s1 := NewSale("EB-1", 7, T0)
	c := must(st.CreateSale(ctx, s1, NewConversation(70, T0)))(t)
	s2 := NewSale("EB-2", 7, T0.Add(time.Hour))
	must(st.CreateSale(ctx, s2, c))(t)
	must(st.UpdateSale(ctx, "EB-2", func(s *flows.Sale) error {
		s.ICCID = "8933000000000000001"
		return s.MoveTo(flows.SaleAssigning, T0.Add(time.Hour))
	}))(t)
	s3 := NewSale("EB-3", 8, T0)
	must(st.CreateSale(ctx, s3, NewConversation(80, T0)))(t)

	if err := st.Forget(ctx, 7, 70); err != nil {
		t.Fatal(err)
	}
	wantUser := u
	wantUser.Email, wantUser.Name, wantUser.WhatsApp = "", "", ""
	diff(t, "user", must(st.User(ctx, 7))(t), wantUser)
	diff(t, "other user", must(st.User(ctx, 8))(t), other)
	_, err := st.Conversation(ctx, 70)
	wantErr(t, err, flows.ErrNotFound)
	must(st.Conversation(ctx, 80))(t)
	for _, ref := range []string{"EB-1", "EB-2"} {
		got := must(st.Sale(ctx, ref))(t)
		if got.Email != "" || got.Name != "" || got.WhatsApp != "" || !got.Redacted {
			t.Errorf("%s not redacted: email %q name %q whatsapp %q redacted %t", ref, got.Email, got.Name, got.WhatsApp, got.Redacted)
		}
		if !got.Price.Equal(s1.Price) || got.Currency != "EUR" || got.Ref != ref || !got.Cost.Equal(s1.Cost) || got.BundleCode != s1.BundleCode {
			t.Errorf("%s lost its accounting fields: %+v", ref, got)
		}
	}
	if got := must(st.Sale(ctx, "EB-2"))(t); got.State != flows.SaleAssigning || got.ICCID != "8933000000000000001" {
		t.Errorf("EB-2 lost its state or ICCID: %s %q", got.State, got.ICCID)
	}
	diff(t, "other user's sale", must(st.Sale(ctx, "EB-3"))(t), s3)
	diff(t, "indexes by user", refs(must(st.SalesByUser(ctx, 7))(t)), []string{"EB-2", "EB-1"})
	diff(t, "index by state", refs(must(st.SalesInState(ctx, flows.SaleAssigning))(t)), []string{"EB-2"})
	diff(t, "index by ICCID", refs(must(st.SalesByICCID(ctx, "8933000000000000001"))(t)), []string{"EB-2"})

	if err := st.Forget(ctx, 99, 99); err != nil {
		t.Errorf("forgetting an unknown user: %v", err)
	}
	if err := st.Forget(ctx, 7, 70); err != nil {
		t.Errorf("forgetting twice: %v", err)
	}
}

func testDedup(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	seen := func(ns, key string, at time.Time, want bool) {
		t.Helper()
		if got := must(st.FirstSeen(ctx, ns, key, at))(t); got != want {
			t.Errorf("FirstSeen(%q, %q, %v) = %t, want %t", ns, key, at, got, want)
		}
	}
	seen("update", "1001", T0, true)
	seen("update", "1001", T0, false)
	seen("update", "1001", T0.Add(23*time.Hour), false) // Telegram redelivers within 24 h
	seen("charge", "1001", T0, true)                    // namespaces are separate
	seen("charge", "1001", T0, false)
	seen("update", "1002", T0, true)
	seen("update", "100", T0, true) // a prefix is another key
	seen("updat", "e\x001001", T0, true)
	// Other namespaces are kept: a charge seen a year ago is still known,
	// however many updates came since.
	for i := range 50 {
		seen("update", fmt.Sprint(i), T0.Add(365*24*time.Hour), true)
	}
	seen("charge", "1001", T0.Add(365*24*time.Hour), false)
}
