package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

// maxReconcile is how many times an unknown outcome that the API does not
// know of is checked again before the sale is declared not charged.
const maxReconcile = 5

// newRef returns a fresh order_reference: the prefix, the time in base 36
// and 8 random base-36 characters (at most 8+1+7+8 = 24 characters).
func (e *Engine) newRef() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b strings.Builder
	b.WriteString(strings.ToUpper(e.cfg.OrderPrefix))
	b.WriteByte('-')
	b.WriteString(strings.ToUpper(strconv.FormatInt(e.cfg.Now().Unix(), 36)))
	for range 8 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String()
}

// confirm creates the sale record, then sells (DESIGN.md invariant 2).
func (t *turn) confirm() error {
	d := &t.conv.Draft
	if d.Bundle == nil {
		return t.stale()
	}
	t.act("typing")
	// The bundle again, fresh: it may have gone or changed price.
	var offers []BundleOffer
	var err error
	if d.Kind == KindTopup {
		offers, err = t.topupOffers(d.ICCID, true)
	} else {
		offers, err = t.e.destinationBundles(t.ctx, d.DestKind, d.DestCode, true)
	}
	if err != nil {
		return t.apiTrouble(err)
	}
	var fresh *BundleOffer
	for _, o := range offers {
		if o.Code == d.Bundle.Code {
			fresh = &o
			break
		}
	}
	back := stepBundles
	summary := stepSummary
	if d.Kind == KindTopup {
		back, summary = stepTopupBundles, stepTopupSummary
	}
	if fresh == nil {
		if err := t.send(Message{Text: t.loc.T("bundle_gone", "Name", t.bundleName(*d.Bundle))}); err != nil {
			return err
		}
		d.Bundle = nil
		t.button = false
		return t.goTo(back)
	}
	if !fresh.Price.Equal(d.Bundle.Price) || fresh.Currency != d.Bundle.Currency {
		old := t.loc.Price(d.Bundle.Price, d.Bundle.Currency)
		d.Bundle = fresh
		if err := t.send(Message{Text: t.loc.T("price_changed", "Old", old, "New", t.loc.Price(fresh.Price, fresh.Currency))}); err != nil {
			return err
		}
		t.button = false
		return t.goTo(summary)
	}
	d.Bundle = fresh
	now := t.e.cfg.Now()
	s := Sale{
		Kind: d.Kind, Chat: t.ev.Chat, User: t.ev.User, SoldBy: t.role, Lang: t.loc.Tag.String(),
		BundleCode: fresh.Code, BundleName: t.bundleName(*fresh), Plan: fresh.Name, ProfileType: fresh.ProfileType, Days: fresh.Days,
		Price: fresh.Price, Currency: fresh.Currency, Cost: fresh.Cost,
		Email: d.Email, Name: d.Name, WhatsApp: d.WhatsApp,
		State: SaleConfirmed, History: []Transition{{State: SaleConfirmed, At: now}}, Created: now,
	}
	if d.Kind == KindTopup {
		prev, err := t.e.store.Sale(t.ctx, d.TopupRef)
		if err != nil {
			return fmt.Errorf("top-up of %s: %w", d.TopupRef, err)
		}
		s.PreviousRef, s.PreviousOrderID, s.ICCID = prev.Ref, prev.OrderID, prev.ICCID
	}
	t.nextStamp() // the summary's buttons go stale: a second Confirm does nothing
	t.conv.Step = stepSelling
	for try := 0; ; try++ {
		s.Ref = t.e.newRef()
		d.SaleRef = s.Ref
		c, err := t.e.store.CreateSale(t.ctx, s, t.conv)
		if errors.Is(err, ErrSaleExists) && try < 3 {
			continue
		}
		if err != nil {
			return fmt.Errorf("create sale: %w", err)
		}
		t.conv, t.saved = c, c
		break
	}
	if t.e.cfg.Observer != nil {
		t.e.cfg.Observer.SaleMoved(s)
	}
	if t.role == RoleCustomer && d.Kind == KindNew && (t.user.Email != d.Email || t.user.Name != d.Name || t.user.WhatsApp != d.WhatsApp) {
		t.user.Email, t.user.Name, t.user.WhatsApp = d.Email, d.Name, d.WhatsApp
		t.dirty = true
	}
	selling := agentKey("selling", t.role)
	if d.Kind == KindTopup {
		selling = "selling_topup"
	}
	if err := t.send(Message{Text: t.loc.T(selling), Replace: t.origin()}); err != nil {
		t.e.log.WarnContext(t.ctx, "send progress", "ref", s.Ref, "err", err)
	}
	t.act("typing")
	if err := t.e.process(t.ctx, s.Ref, true); err != nil {
		// The sale record drives the rest: the reconciler finishes what is
		// unfinished, and the user is never told to try again after this
		// point (the sale may be charged).
		t.e.log.ErrorContext(t.ctx, "sale not finished; the reconciler takes over", "ref", s.Ref, "err", err)
		t.e.wakeUp()
	}
	t.resetDraft()
	t.conv.Step = stepMenu
	t.nextStamp()
	return nil
}

// process moves a sale forward as far as it can go now: sell, reconcile,
// deliver. interactive is true when the user is waiting (a longer wait for
// activation data). It is safe to call for any sale at any time: a sale
// another goroutine is working on is skipped.
func (e *Engine) process(ctx context.Context, ref string, interactive bool) error {
	unlock, ok := e.sales.tryLock(ref)
	if !ok {
		return nil
	}
	defer unlock()
	s, err := e.store.Sale(ctx, ref)
	if err != nil {
		return fmt.Errorf("load sale %s: %w", ref, err)
	}
	switch s.State {
	case SaleConfirmed, SalePaid:
		s, err = e.updateSale(ctx, ref, func(s *Sale) error { return s.MoveTo(SaleAssigning, e.cfg.Now()) })
		if err != nil {
			return err
		}
		return e.purchase(ctx, s, interactive)
	case SaleAssigning:
		return e.reconcile(ctx, s, interactive)
	case SaleAssigned:
		return e.deliver(ctx, s, interactive)
	}
	return nil
}

// purchase calls the API for a sale in state assigning.
func (e *Engine) purchase(ctx context.Context, s Sale, interactive bool) error {
	cctx, cancel := context.WithTimeout(ctx, e.cfg.SaleTimeout)
	defer cancel()
	var res reseller.AssignResult
	var err error
	if s.Kind == KindTopup {
		req := reseller.TopupRequest{BundleCode: s.BundleCode, OrderReference: s.Ref, WhatsAppNumber: s.WhatsApp}
		if s.PreviousOrderID != "" {
			req.OrderID = s.PreviousOrderID
		} else {
			req.PreviousOrderReference = s.PreviousRef
		}
		res, err = e.api.TopupBundle(cctx, req, reseller.AssignOptions{})
	} else {
		res, err = e.api.AssignBundle(cctx, reseller.AssignRequest{BundleCode: s.BundleCode, Email: s.Email, Name: s.Name,
			OrderReference: s.Ref, WhatsAppNumber: s.WhatsApp}, reseller.AssignOptions{})
	}
	switch {
	case err == nil:
		e.log.InfoContext(ctx, "sale assigned", "ref", s.Ref, "bundle", s.BundleCode, "balance", res.RemainingBalance.String())
		if e.cfg.Observer != nil && !res.RemainingBalance.IsZero() {
			e.cfg.Observer.WalletBalance(res.RemainingBalance)
		}
		s, err = e.assigned(ctx, s.Ref, res.OrderID.String(), res.ICCID.String())
		if err != nil {
			return err
		}
		return e.deliver(ctx, s, interactive)
	case errors.Is(err, reseller.ErrOutcomeUnknown):
		e.log.WarnContext(ctx, "sale outcome unknown, reconciling", "ref", s.Ref, "err", err)
		return e.reconcile(ctx, s, interactive)
	}
	return e.fail(ctx, s, failReason(err), err)
}

// failReason maps a refusal to the locale key shown to the user.
func failReason(err error) string {
	switch {
	case errors.Is(err, reseller.ErrInsufficientBalance):
		return "sale_failed_balance"
	case errors.Is(err, reseller.ErrBundleUnavailable), errors.Is(err, reseller.ErrNotFound):
		return "sale_failed_unavailable"
	case errors.Is(err, reseller.ErrFeatureDisabled):
		return "sale_failed_unavailable"
	case errors.Is(err, reseller.ErrInvalidRequest):
		return "sale_failed_invalid"
	}
	return "sale_failed_api"
}

// assigned records the API's order on the sale.
func (e *Engine) assigned(ctx context.Context, ref, orderID, iccid string) (Sale, error) {
	return e.updateSale(ctx, ref, func(s *Sale) error {
		if orderID != "" {
			s.OrderID = orderID
		}
		if iccid != "" {
			s.ICCID = iccid
		}
		s.Attempts, s.NextAttempt = 0, time.Time{}
		return s.MoveTo(SaleAssigned, e.cfg.Now())
	})
}

// reconcile asks the API what became of a sale in state assigning
// (DESIGN.md invariant 3) and continues from its answer.
func (e *Engine) reconcile(ctx context.Context, s Sale, interactive bool) error {
	o, err := e.api.OrderByReference(ctx, s.Ref)
	switch {
	case err == nil && o.Failed():
		return e.fail(ctx, s, "sale_failed_api", fmt.Errorf("order %s failed on the platform", s.Ref))
	case err == nil:
		s, err = e.assigned(ctx, s.Ref, o.ID.String(), o.ICCID.String())
		if err != nil {
			return err
		}
		return e.deliver(ctx, s, interactive)
	case errors.Is(err, reseller.ErrNotFound) && s.Unseen+1 >= maxReconcile:
		// Asked again and again, with backoff: the platform never took the order.
		return e.fail(ctx, s, "sale_not_charged", err)
	}
	first := s.Attempts == 0
	notFound := errors.Is(err, reseller.ErrNotFound) // only these count toward "never charged"; outages do not
	s, uerr := e.updateSale(ctx, s.Ref, func(s *Sale) error {
		if notFound {
			s.Unseen++
		}
		e.schedule(s)
		return nil
	})
	if uerr != nil {
		return uerr
	}
	if first {
		e.notify(ctx, s, Message{Text: e.cat.For(s.Lang).T(agentKey("sale_pending", s.SoldBy))})
	}
	e.log.WarnContext(ctx, "sale not reconciled yet", "ref", s.Ref, "attempt", s.Attempts, "err", err)
	return nil
}

// schedule counts an attempt and sets the next with exponential backoff
// (30 s, 1 min, 2 min, … up to 30 min).
func (e *Engine) schedule(s *Sale) {
	s.Attempts++
	wait := min(time.Duration(1<<min(s.Attempts, 10))*15*time.Second, 30*time.Minute)
	s.NextAttempt = e.cfg.Now().Add(wait)
}

// fail records a failed sale and tells the user.
func (e *Engine) fail(ctx context.Context, s Sale, reason string, cause error) error {
	e.log.WarnContext(ctx, "sale failed", "ref", s.Ref, "reason", reason, "err", cause)
	s, err := e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.FailReason = reason
		return s.MoveTo(SaleFailed, e.cfg.Now())
	})
	if err != nil {
		return err
	}
	loc := e.cat.For(s.Lang)
	e.notify(ctx, s, Message{Text: loc.T(reason, "Ref", s.Ref), Buttons: [][]Button{
		{{Text: loc.T("btn_buy_other"), Data: globalData("buy")}, {Text: loc.T("btn_menu"), Data: globalData("menu")}},
	}})
	return nil
}

// notify sends a message about a sale; a failure is logged (the sale's
// state, not the message, is what the reconciler acts on).
func (e *Engine) notify(ctx context.Context, s Sale, m Message) {
	if err := e.msg.Send(ctx, s.Chat, m); err != nil {
		e.log.WarnContext(ctx, "notify", "ref", s.Ref, "chat", s.Chat, "err", err)
	}
}

// deliver sends the eSIM of an assigned sale (a top-up: the notice) and
// marks it delivered. Without activation data yet, it waits (interactive)
// or schedules another attempt. The installation text (ICCID, SM-DP+
// address, activation code, one-tap links) and the QR code picture are
// sent and recorded apart: a picture Telegram refuses does not hold the
// text back, and neither is sent twice.
func (e *Engine) deliver(ctx context.Context, s Sale, interactive bool) error {
	loc := e.cat.For(s.Lang)
	if s.Kind == KindTopup {
		e.usage.drop(s.ICCID) // the profile has a new bundle
		m := Message{Text: loc.T(agentKey("topup_done", s.SoldBy), "Bundle", s.BundleName, "ICCID", s.ICCID), Buttons: [][]Button{
			{{Text: loc.T("btn_usage"), Data: globalData("usage", s.ICCID)}, {Text: loc.T("btn_menu"), Data: globalData("menu")}},
		}}
		if err := e.msg.Send(ctx, s.Chat, m); err != nil {
			return e.retryDelivery(ctx, s, partText, err)
		}
		_, err := e.updateSale(ctx, s.Ref, func(s *Sale) error {
			s.TextSent, s.Attempts, s.NextAttempt = true, 0, time.Time{}
			return s.MoveTo(SaleDelivered, e.cfg.Now())
		})
		return err
	}
	lpa := s.LPA
	if lpa == "" {
		var err error
		var o reseller.Order
		o, lpa, err = e.activation(ctx, s.Ref, interactive)
		if errors.Is(err, errOrderFailed) {
			return e.fail(ctx, s, "sale_failed_after_assign", err)
		}
		if err != nil {
			first := s.Attempts == 0
			if uerr := e.retryDelivery(ctx, s, partActivation, err); uerr != nil {
				return uerr
			}
			if first {
				e.notify(ctx, s, Message{Text: loc.T(agentKey("activation_pending", s.SoldBy))})
			}
			return nil
		}
		s, err = e.updateSale(ctx, s.Ref, func(s *Sale) error {
			s.LPA = lpa
			// The purchase answer may have lacked them; the order has them.
			if s.ICCID == "" {
				s.ICCID = o.ICCID.String()
			}
			if s.OrderID == "" {
				s.OrderID = o.ID.String()
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if !s.TextSent {
		if err := e.msg.Send(ctx, s.Chat, e.installMessage(s)); err != nil {
			return e.retryDelivery(ctx, s, partText, err)
		}
		var err error
		if s, err = e.updateSale(ctx, s.Ref, func(s *Sale) error { s.TextSent = true; return nil }); err != nil {
			return err
		}
	}
	if !s.PhotoSent {
		e.act(ctx, s.Chat, "upload_photo")
		if err := e.sendQR(ctx, s, s.Chat); err != nil {
			if s.PhotoTries+1 < maxPhotoTries {
				return e.retryDelivery(ctx, s, partPhoto, err)
			}
			// The text with the activation code and the links is there:
			// the sale is delivered without its picture.
			e.log.ErrorContext(ctx, "QR code picture not delivered; giving up on it (the activation text was delivered)",
				"ref", s.Ref, "tries", s.PhotoTries+1, "err", err)
		} else {
			var err error
			if s, err = e.updateSale(ctx, s.Ref, func(s *Sale) error { s.PhotoSent = true; return nil }); err != nil {
				return err
			}
		}
	}
	_, err := e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.Attempts, s.NextAttempt = 0, time.Time{}
		return s.MoveTo(SaleDelivered, e.cfg.Now())
	})
	return err
}

// The parts of a delivery, for logs and metrics.
const (
	partActivation = "activation" // waiting for the activation data
	partText       = "text"       // the installation text
	partPhoto      = "photo"      // the QR code picture
)

// maxPhotoTries is how many times the QR code picture is tried before the
// sale counts as delivered by its text alone.
const maxPhotoTries = 8

// retryDelivery records a failed delivery attempt of one part and
// schedules the next soon, with backoff (see deliveryBackoff); the
// reconciler wakes for it. The failure is logged and counted.
func (e *Engine) retryDelivery(ctx context.Context, s Sale, part string, cause error) error {
	s, err := e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.Attempts++
		if part == partPhoto {
			s.PhotoTries++
		}
		s.NextAttempt = e.cfg.Now().Add(deliveryBackoff(s.Attempts))
		return nil
	})
	if err != nil {
		return err
	}
	e.log.WarnContext(ctx, "delivery not done; retrying", "ref", s.Ref, "part", part, "attempt", s.Attempts,
		"next", s.NextAttempt.Format(time.RFC3339), "err", cause)
	if e.cfg.Observer != nil {
		e.cfg.Observer.DeliveryRetried(part)
	}
	e.wakeUp()
	return nil
}

// deliveryBackoff is the wait before delivery attempt n+1: 2 s, 4 s, 8 s,
// … up to 10 minutes.
func deliveryBackoff(n int) time.Duration {
	return min(time.Duration(1<<min(max(n, 1), 20))*time.Second, 10*time.Minute)
}

// installMessage is the installation text of a delivered eSIM: what the
// user needs to install it without the picture.
func (e *Engine) installMessage(s Sale) Message {
	loc := e.cat.For(s.Lang)
	smdp, code, _ := reseller.SplitLPA(s.LPA)
	links := reseller.InstallLinksFor(s.LPA)
	text := loc.T(agentKey("esim_ready", s.SoldBy), "Bundle", s.BundleName, "ICCID", s.ICCID, "SMDP", smdp, "Code", code)
	if e.cfg.Sandbox {
		text = loc.T("sandbox_banner") + "\n\n" + text
	}
	rows := [][]Button{{{Text: loc.T("btn_install_ios"), URL: links.IOS}, {Text: loc.T("btn_install_android"), URL: links.Android}}}
	var copies []Button
	if smdp != "" && len(smdp) <= maxCopyText {
		copies = append(copies, Button{Text: loc.T("btn_copy_smdp"), CopyText: smdp})
	}
	if code != "" && len(code) <= maxCopyText {
		copies = append(copies, Button{Text: loc.T("btn_copy_code"), CopyText: code})
	}
	if len(copies) > 0 {
		rows = append(rows, copies)
	}
	rows = append(rows, []Button{{Text: loc.T("btn_usage"), Data: globalData("usage", s.ICCID)}, {Text: loc.T("btn_buy_other"), Data: globalData("buy")}})
	return Message{Text: text, Buttons: rows}
}

// qrMessage is the QR code picture of a delivered eSIM.
func (e *Engine) qrMessage(s Sale) Message {
	loc := e.cat.For(s.Lang)
	return Message{
		Text:  loc.T(agentKey("esim_qr_caption", s.SoldBy), "Bundle", s.BundleName, "Tail", tail(s.ICCID)),
		Photo: &Photo{QR: s.LPA, Key: s.Ref, Name: "esim-" + s.ICCID + ".png"},
	}
}

// agentKey is the locale key worded for a sale an agent made for a
// customer (key + "_agent"), or key itself.
func agentKey(key string, soldBy Role) string {
	if soldBy == RoleAgent || soldBy == RoleAdmin {
		return key + "_agent"
	}
	return key
}

// activation fetches the order's LPA string, polling with backoff for up
// to DeliveryWait when interactive.
func (e *Engine) activation(ctx context.Context, ref string, interactive bool) (reseller.Order, string, error) {
	var waited time.Duration
	wait := 250 * time.Millisecond
	for {
		o, err := e.api.OrderByReference(ctx, ref)
		if err == nil {
			if o.Failed() {
				return o, "", fmt.Errorf("order %s: %w", ref, errOrderFailed)
			}
			var lpa string
			if lpa, err = o.LPA(); err == nil {
				return o, lpa, nil
			}
		}
		if !interactive || waited+wait > e.cfg.DeliveryWait {
			return o, "", err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return o, "", ctx.Err()
		case <-timer.C:
		}
		waited += wait
		wait = min(wait*2, 4*time.Second)
	}
}

// errOrderFailed: the platform reports the order failed.
var errOrderFailed = errors.New("the platform reports the order failed")

// sendESIM sends a delivered eSIM again: the installation text and the
// QR code picture.
func (e *Engine) sendESIM(ctx context.Context, s Sale, chat ChatID) error {
	if err := e.msg.Send(ctx, chat, e.installMessage(s)); err != nil {
		return err
	}
	e.act(ctx, chat, "upload_photo")
	return e.sendQR(ctx, s, chat)
}

// sendQR sends the QR code picture of a sale.
func (e *Engine) sendQR(ctx context.Context, s Sale, chat ChatID) error {
	return e.msg.Send(ctx, chat, e.qrMessage(s))
}

// act shows a chat action if the messenger can.
func (e *Engine) act(ctx context.Context, chat ChatID, action string) {
	if a, ok := e.msg.(Actor); ok {
		_ = a.Act(ctx, chat, action)
	}
}

// Reconcile moves every unfinished sale forward whose next attempt is due:
// sales confirmed but never sent, sales whose outcome is unknown, and paid
// sales not yet delivered (DESIGN.md invariants 3 and 4). Call it at start
// and periodically; Run does.
func (e *Engine) Reconcile(ctx context.Context) error {
	_, err := e.reconcileDue(ctx)
	return err
}

// reconcileDue is Reconcile that also returns when the next unfinished
// sale is due (the zero time when none is waiting).
func (e *Engine) reconcileDue(ctx context.Context) (time.Time, error) {
	sales, err := e.store.SalesInState(ctx, SaleConfirmed, SalePaid, SaleAssigning, SaleAssigned)
	if err != nil {
		return time.Time{}, fmt.Errorf("reconcile: %w", err)
	}
	now := e.cfg.Now()
	var errs []error
	var next time.Time
	for _, s := range sales {
		if ctx.Err() != nil {
			break
		}
		if !s.NextAttempt.IsZero() && now.Before(s.NextAttempt) {
			if next.IsZero() || s.NextAttempt.Before(next) {
				next = s.NextAttempt
			}
			continue
		}
		if err := e.process(ctx, s.Ref, false); err != nil {
			errs = append(errs, err)
		}
		if s, err := e.store.Sale(ctx, s.Ref); err == nil && !s.State.Finished() && !s.NextAttempt.IsZero() {
			if next.IsZero() || s.NextAttempt.Before(next) {
				next = s.NextAttempt
			}
		}
	}
	return next, errors.Join(errs...)
}

// wakeUp tells Run that a sale was scheduled, so it looks again sooner
// than its interval.
func (e *Engine) wakeUp() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run reconciles sales and sweeps idle conversations until ctx is done:
// sales at start, then as soon as the next one is due (a failed delivery
// is retried within seconds) and at least every interval; conversations
// every interval.
func (e *Engine) Run(ctx context.Context, every time.Duration) {
	var swept time.Time
	for {
		next, err := e.reconcileDue(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.ErrorContext(ctx, "reconcile", "err", err)
		}
		if time.Since(swept) >= every {
			if _, err := e.Sweep(ctx); err != nil && ctx.Err() == nil {
				e.log.ErrorContext(ctx, "sweep conversations", "err", err)
			}
			swept = time.Now()
		}
		wait := every
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(e.cfg.Now()), 100*time.Millisecond))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-e.wake:
			timer.Stop()
		}
	}
}

// resendQR sends a delivered eSIM again, to its buyer (or an agent/admin).
func (t *turn) resendQR(ref string) error {
	s, err := t.e.store.Sale(t.ctx, ref)
	if err != nil || (s.User != t.user.ID && t.role != RoleAdmin) || s.LPA == "" {
		return t.stale()
	}
	return t.e.sendESIM(t.ctx, s, t.ev.Chat)
}
