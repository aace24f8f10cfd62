package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
)

// testStaff: an invite binds to its first user, once, before it expires,
// and revoking the agent it made withdraws it.
func testStaff(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	inv := flows.Invite{Hash: flows.InviteHash("tok"), By: 1, Created: T0, Expires: T0.Add(24 * time.Hour)}
	if err := st.CreateInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	_, err := st.RedeemInvite(ctx, flows.InviteHash("forged"), flows.Grant{User: 7, Role: flows.RoleAgent}, T0)
	wantErr(t, err, flows.ErrNotFound)
	g := flows.Grant{User: 7, Role: flows.RoleAgent, Since: T0.Add(time.Hour), Name: "Amal"}
	got := must(st.RedeemInvite(ctx, inv.Hash, g, T0.Add(time.Hour)))(t)
	want := inv
	want.UsedBy, want.UsedAt = 7, T0.Add(time.Hour)
	diff(t, "invite", got, want)
	wantGrant := g
	wantGrant.Invite, wantGrant.By = inv.Hash, 1
	diff(t, "grant", must(st.Grant(ctx, 7))(t), wantGrant)
	// The same user again, even after expiry: still theirs.
	must(st.RedeemInvite(ctx, inv.Hash, g, T0.Add(48*time.Hour)))(t)
	_, err = st.RedeemInvite(ctx, inv.Hash, flows.Grant{User: 8, Role: flows.RoleAgent}, T0.Add(2*time.Hour))
	wantErr(t, err, flows.ErrInviteUsed)
	_, err = st.Grant(ctx, 8)
	wantErr(t, err, flows.ErrNotFound)

	late := flows.Invite{Hash: flows.InviteHash("late"), By: 1, Created: T0, Expires: T0.Add(time.Hour)}
	if err := st.CreateInvite(ctx, late); err != nil {
		t.Fatal(err)
	}
	_, err = st.RedeemInvite(ctx, late.Hash, flows.Grant{User: 8, Role: flows.RoleAgent}, T0.Add(time.Hour))
	wantErr(t, err, flows.ErrInviteExpired)

	diff(t, "grants", must(st.Grants(ctx))(t), []flows.Grant{wantGrant})
	if err := st.RevokeGrant(ctx, 7); err != nil {
		t.Fatal(err)
	}
	wantErr(t, st.RevokeGrant(ctx, 7), flows.ErrNotFound)
	_, err = st.Grant(ctx, 7)
	wantErr(t, err, flows.ErrNotFound)
	_, err = st.RedeemInvite(ctx, inv.Hash, g, T0.Add(2*time.Hour))
	wantErr(t, err, flows.ErrInviteRevoked)
	if gs := must(st.Grants(ctx))(t); len(gs) != 0 {
		t.Errorf("grants after revoking: %v", gs)
	}
}

// testAlerts: an alert key is new once, until cleared.
func testAlerts(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	for i, want := range []bool{true, false} {
		if got := must(st.MarkAlert(ctx, "stuck:EB-1", T0))(t); got != want {
			t.Errorf("mark %d: %v, want %v", i, got, want)
		}
	}
	if !must(st.MarkAlert(ctx, "low_balance", T0))(t) {
		t.Error("another key is not new")
	}
	if err := st.ClearAlert(ctx, "stuck:EB-1"); err != nil {
		t.Fatal(err)
	}
	if !must(st.MarkAlert(ctx, "stuck:EB-1", T0))(t) {
		t.Error("a cleared key is not new again")
	}
}

// testUsageAlerts: a usage alert's key is new once, kept apart from the
// admins' alerts, until cleared.
func testUsageAlerts(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	key := "8900000000000000001|O1|used80"
	if must(st.UsageAlertMarked(ctx, key))(t) {
		t.Error("marked before it was")
	}
	for i, want := range []bool{true, false} {
		if got := must(st.MarkUsageAlert(ctx, key, T0))(t); got != want {
			t.Errorf("mark %d: %v, want %v", i, got, want)
		}
	}
	if !must(st.UsageAlertMarked(ctx, key))(t) {
		t.Error("not marked after it was")
	}
	if !must(st.MarkAlert(ctx, key, T0))(t) {
		t.Error("an admins' alert of the same key is not new")
	}
	if err := st.ClearUsageAlert(ctx, key); err != nil {
		t.Fatal(err)
	}
	if !must(st.MarkUsageAlert(ctx, key, T0))(t) {
		t.Error("a cleared key is not new again")
	}
}
