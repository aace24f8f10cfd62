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

// saleKeys are the locale keys of the messages about a sale (its wait,
// its failure, its delivery), which no step owns; failReason picks the
// sale_failed ones.
var saleKeys = []string{
	"sale_pending", "sale_pending_agent", "sale_failed_api", "sale_failed_balance", "sale_failed_invalid",
	"sale_failed_unavailable", "sale_failed_after_assign", "sale_not_charged", "btn_buy_other", "btn_menu",
	"activation_pending", "activation_pending_agent", "topup_done", "topup_done_agent", "btn_usage",
	"esim_ready", "esim_ready_agent", "sandbox_banner", "btn_install_ios", "btn_install_android",
	"btn_copy_smdp", "btn_copy_code", "esim_qr_caption", "esim_qr_caption_agent",
	"esim_again", "topup_again", "sale_done_above",
}

// maxReconcile is how many times an unknown outcome that the API does not
// know of is checked again before the sale is declared not charged.
const maxReconcile = 6

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
	return e.processLocked(ctx, ref, interactive)
}

// processLocked is process for a caller that holds the sale's lock. A
// sale held for its user (held.go) waits for them.
func (e *Engine) processLocked(ctx context.Context, ref string, interactive bool) error {
	s, err := e.store.Sale(ctx, ref)
	if err != nil {
		return fmt.Errorf("load sale %s: %w", ref, err)
	}
	if s.Held {
		return nil
	}
	switch s.State {
	case SaleConfirmed, SalePaid:
		if s.AwaitingPayment() {
			return e.unpaid(ctx, s)
		}
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
		if w := walletOf(res); w != nil {
			e.watchWallet(ctx, w.Balance, s.Currency)
		}
		s, err = e.assigned(ctx, s.Ref, res.OrderID.String(), res.ICCID.String(), walletOf(res))
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
func (e *Engine) assigned(ctx context.Context, ref, orderID, iccid string, wallet *Wallet) (Sale, error) {
	return e.updateSale(ctx, ref, func(s *Sale) error {
		if wallet != nil {
			s.Wallet = wallet
		}
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

// schedule counts a check of an unknown outcome and sets the next. An
// answer that the API has no such order is checked again 5, 10, 20, 30
// and 30 s later: maxReconcile of them settle it, about a minute and a
// half once the API answers (a platform that commits an order later than
// that, after the client gave up, is reported to admins as an orphan). While the API does not answer, the checks come every 5 s to
// 30 s for the sale's first urgentWindow (the user waits for the answer),
// then a tenth of the sale's age apart, up to 30 minutes.
func (e *Engine) schedule(s *Sale, notFound bool) {
	s.Attempts++
	age := e.cfg.Now().Sub(s.Created)
	var wait time.Duration
	switch {
	case notFound:
		wait = min(5*time.Second<<min(max(s.Unseen-1, 0), 3), 30*time.Second)
	case age < urgentWindow:
		wait = min(5*time.Second<<min(max(s.Attempts-1, 0), 3), 30*time.Second)
	default:
		wait = min(max(age/10, 30*time.Second), 30*time.Minute)
	}
	s.NextAttempt = e.cfg.Now().Add(wait)
}

// urgentWindow is how long after its confirmation an unknown outcome is
// checked often.
const urgentWindow = 10 * time.Minute

// fail records a failed sale and tells the user.
func (e *Engine) fail(ctx context.Context, s Sale, reason string, cause error) error {
	e.log.WarnContext(ctx, "sale failed", "ref", s.Ref, "reason", reason, "err", cause)
	accepted := s.State == SaleAssigned
	s, err := e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.FailReason = reason
		if s.ChargeID != "" && s.Refund == "" {
			s.Refund = RefundDue // in the same write: a paid sale that fails is refunded (DESIGN.md invariant 7)
		}
		return s.MoveTo(SaleFailed, e.cfg.Now())
	})
	if err != nil {
		return err
	}
	if accepted {
		e.alertFailed(ctx, s)
	}
	loc := e.cat.For(s.Lang)
	if s.ChargeID != "" {
		reason = "sale_failed_paid" // the failure's own text may say nothing was charged: the Stars were
	}
	e.notify(ctx, s, Message{Text: loc.T(reason, "Ref", s.Ref), Buttons: [][]Button{
		{globalButton(loc.T("btn_buy_other"), actBuy), globalButton(loc.T("btn_menu"), actMenu)},
		{supportButton(loc.T("btn_support"))},
	}})
	if s.Refund == RefundDue {
		return e.refund(ctx, s)
	}
	return nil
}

// notify sends a message about a sale; a failure is logged (the sale's
// state, not the message, is what the reconciler acts on). The state it
// tells of is written already, so a stop of the program (ctx cancelled)
// does not cut it short: it has noticeGrace to go out.
func (e *Engine) notify(ctx context.Context, s Sale, m Message) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), noticeGrace)
	defer cancel()
	if err := e.msg.Send(ctx, s.Chat, m); err != nil {
		e.log.WarnContext(ctx, "notify", "ref", s.Ref, "chat", s.Chat, "err", err)
	}
}

// noticeGrace bounds a notice about a sale sent while the program stops.
const noticeGrace = 5 * time.Second

// updateSale is store.UpdateSale that tells the observer of a new state.
func (e *Engine) updateSale(ctx context.Context, ref string, fn func(*Sale) error) (Sale, error) {
	var before SaleState
	s, err := e.store.UpdateSale(ctx, ref, func(s *Sale) error {
		before = s.State
		return fn(s)
	})
	if err == nil && e.cfg.Observer != nil && s.State != before {
		e.cfg.Observer.SaleMoved(s)
	}
	return s, err
}
