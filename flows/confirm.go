package flows

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// confirm checks the bundle again, fresh (it may have gone or changed
// price), and sells it: see sell.
func confirm(c Conversation, u User, in input) (Conversation, []effect) {
	d := c.Draft
	if d.Bundle == nil {
		return c, in.stale()
	}
	if !mayBuy(in.cfg, u) {
		return closedSale(c, u, in)
	}
	offers, wait := want[[]BundleOffer](in, needFresh(d))
	if wait != nil {
		return c, wait
	}
	list, summary := stepBundles, stepSummary
	if d.Kind == KindTopup {
		list, summary = stepTopupBundles, stepTopupSummary
	}
	fresh, ok := offerOf(offers, d.Bundle.Code)
	if !ok {
		gone := in.say("bundle_gone", "Name", bundleName(in.loc, d, *d.Bundle))
		c.Draft.Bundle = nil
		c, next := goTo(c, u, in, list)
		return c, first(gone, next)
	}
	c.Draft.Bundle = &fresh
	if !fresh.Price.Equal(d.Bundle.Price) || fresh.Currency != d.Bundle.Currency {
		changed := in.say("price_changed", "Old", in.loc.Price(d.Bundle.Price, d.Bundle.Currency), "New", in.loc.Price(fresh.Price, fresh.Currency))
		c, next := goTo(c, u, in, summary)
		return c, first(changed, next)
	}
	return saleOf(c, u, in, fresh)
}

// saleOf is the sale of a confirmed draft.
func saleOf(c Conversation, u User, in input, o BundleOffer) (Conversation, []effect) {
	d := c.Draft
	s := Sale{
		Kind: d.Kind, Chat: in.ev.Chat, User: in.ev.User, SoldBy: u.Role, Lang: in.loc.Tag.String(),
		BundleCode: o.Code, BundleName: bundleName(in.loc, d, o), Plan: o.Name, ProfileType: o.ProfileType, Days: o.Days,
		Price: o.Price, Currency: o.Currency, Cost: o.Cost,
		Email: d.Email, Name: d.Name, WhatsApp: d.WhatsApp,
	}
	selling := agentKey("selling", u.Role)
	if d.Kind == KindTopup {
		prev, wait, err := attempt[Sale](in, needSale(d.TopupRef))
		if wait != nil {
			return c, wait
		}
		if err != nil {
			return c, []effect{failure{fmt.Errorf("top-up of %s: %w", d.TopupRef, err)}}
		}
		s.PreviousRef, s.PreviousOrderID, s.ICCID = prev.Ref, prev.OrderID, prev.ICCID
		selling = "selling_topup"
	}
	remember := u.Role == RoleCustomer && d.Kind == KindNew && (u.Email != d.Email || u.Name != d.Name || u.WhatsApp != d.WhatsApp)
	if paying(in.cfg, u) {
		return c, []effect{bill{sale: s, remember: remember}}
	}
	notice := in.say(selling)
	notice.replace = true
	return c, []effect{sell{sale: s, notice: notice, remember: remember}}
}

// sell creates the sale record with the conversation's move, then sells
// (DESIGN.md invariant 2). remember keeps the end user's details as the
// customer's defaults.
type sell struct {
	sale     Sale
	notice   say
	remember bool
}

// sellGrace is how long the reconciler leaves a sale just confirmed to the
// turn that confirmed it.
const sellGrace = 30 * time.Second

func (x sell) String() string { return "sell " + x.sale.BundleCode }

func (x sell) apply(ctx context.Context, t *turn) error {
	now := t.e.cfg.Now()
	s := x.sale
	s.State, s.History, s.Created = SaleConfirmed, []Transition{{State: SaleConfirmed, At: now}}, now
	// The turn sells it now; the reconciler takes it over only if the turn
	// did not get that far (a crash), not while the turn is on its way.
	s.NextAttempt = now.Add(sellGrace)
	t.nextStamp() // the summary's buttons go stale: a second Confirm does nothing
	t.conv.Step = stepSelling
	if err := t.createSale(ctx, &s); err != nil {
		return err
	}
	if t.e.cfg.Observer != nil {
		t.e.cfg.Observer.SaleMoved(s)
	}
	if x.remember {
		t.user.Email, t.user.Name, t.user.WhatsApp = s.Email, s.Name, s.WhatsApp
		t.dirty = true
	}
	if err := x.notice.apply(ctx, t); err != nil {
		t.e.log.WarnContext(ctx, "send progress", "ref", s.Ref, "err", err)
	}
	t.e.act(ctx, t.ev.Chat, "typing")
	if err := t.e.process(ctx, s.Ref, true); err != nil {
		// The sale record drives the rest: the reconciler finishes what is
		// unfinished, and the user is never told to try again after this
		// point (the sale may be charged).
		t.e.log.ErrorContext(ctx, "sale not finished; the reconciler takes over", "ref", s.Ref, "err", err)
		t.e.wakeUp()
	}
	t.conv.Draft = Draft{}
	t.conv.Step = stepMenu
	t.nextStamp()
	return nil
}

// createSale stores the sale under a fresh reference with the
// conversation, in one transaction.
func (t *turn) createSale(ctx context.Context, s *Sale) error {
	for try := 0; ; try++ {
		s.Ref = t.e.newRef()
		t.conv.Draft.SaleRef = s.Ref
		c, err := t.e.store.CreateSale(ctx, *s, t.conv)
		if errors.Is(err, ErrSaleExists) && try < 3 {
			continue
		}
		if err != nil {
			return fmt.Errorf("create sale: %w", err)
		}
		t.conv, t.saved = c, c
		return nil
	}
}
