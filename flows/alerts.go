package flows

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// Admin alerts: what the shop's owner must hear of at once. Each event is
// told once (its key is stored, so a restart does not tell it again), to
// every configured admin's private chat (a Telegram private chat's ID is
// the user's), in the admin's language. Alerts carry references and
// amounts, never secrets or customers' details.

// alertKeys are the locale keys of the admins' alerts.
var alertKeys = []string{"alert_low_balance", "alert_stuck", "alert_failed", "alert_orphan", "alert_held", "alert_late_order"}

// orphanEvery is how often Watch asks the API for the orders it has.
const orphanEvery = 5 * time.Minute

// orderLister is the reseller's order history, when the client has one.
type orderLister interface {
	Orders(ctx context.Context, q reseller.OrderQuery) (reseller.Page[reseller.Order], error)
}

// keyLowBalance is the alert key of a wallet under Config.LowBalance; it
// is cleared when the wallet is seen above again.
const keyLowBalance = "low_balance"

// alertAdmins tells the admins of the event key, once: text renders the
// message in each admin's language. Failures are logged: an alert is
// never worth failing a sale. An alert no admin got for a passing reason
// (a timeout, a 5xx) is not kept as told, so the event's next sighting
// tells it again.
func (e *Engine) alertAdmins(ctx context.Context, key string, text func(loc *locales.Localizer) string) {
	if len(e.cfg.Admins) == 0 {
		return
	}
	fresh, err := e.store.MarkAlert(ctx, key, e.cfg.Now())
	if err != nil {
		e.log.ErrorContext(ctx, "admin alert", "key", key, "err", err)
		return
	}
	if !fresh {
		return
	}
	e.log.InfoContext(ctx, "alerting admins", "key", key)
	told, transient := 0, false
	for _, id := range e.cfg.Admins {
		lang := ""
		if u, err := e.store.User(ctx, id); err == nil {
			lang = u.Lang
		}
		if err := e.msg.Send(ctx, ChatID(id), Message{Text: text(e.cat.For(lang))}); err != nil {
			e.log.WarnContext(ctx, "admin alert not sent", "key", key, "admin", id, "err", err)
			transient = transient || !refused(err)
			continue
		}
		told++
	}
	if told == 0 && transient {
		// No admin got it, and a later try may reach them: the next time
		// the same event is seen (a watch's next round, the next sale) it
		// is told again.
		if err := e.store.ClearAlert(ctx, key); err != nil {
			e.log.ErrorContext(ctx, "admin alert", "key", key, "err", err)
		}
	}
}

// watchWallet alerts the admins when the wallet left after a sale is
// under Config.LowBalance, once per crossing: seen above it again, the
// next drop is told again.
func (e *Engine) watchWallet(ctx context.Context, balance decimal.Decimal, currency string) {
	low := e.cfg.LowBalance
	if low.IsZero() {
		return
	}
	if !balance.LessThan(low) {
		if err := e.store.ClearAlert(ctx, keyLowBalance); err != nil {
			e.log.ErrorContext(ctx, "clear low-balance alert", "err", err)
		}
		return
	}
	e.alertAdmins(ctx, keyLowBalance, func(loc *locales.Localizer) string {
		return loc.T("alert_low_balance", "Balance", loc.Price(balance, currency), "Threshold", loc.Price(low, currency))
	})
}

// Watch tells the admins of the sales that are stuck: not delivered
// Config.DeliveryAlert after they were confirmed, and (every few minutes)
// of the orders of the last two days that the API has under this bot's
// prefix and the ledger lacks (a sale is written before it is attempted,
// so no sale of this bot is missing). Run calls it on every round; each
// event is told once.
func (e *Engine) Watch(ctx context.Context) error {
	sales, err := e.store.SalesInState(ctx, SaleConfirmed, SalePaid, SaleAssigning, SaleAssigned)
	if err != nil {
		return err
	}
	now := e.cfg.Now()
	if len(e.cfg.Admins) > 0 && now.Sub(e.orphansAt.Load()) >= orphanEvery {
		e.orphansAt.Store(now)
		if err := e.checkOrphans(ctx, now); err != nil {
			e.log.WarnContext(ctx, "check the API's orders against the ledger", "err", err)
		}
	}
	for _, s := range sales {
		if age := now.Sub(s.Created); age >= e.cfg.DeliveryAlert && !s.Held { // a held sale has its own alert
			minutes := int64(age / time.Minute)
			e.alertAdmins(ctx, "stuck:"+s.Ref, func(loc *locales.Localizer) string {
				return loc.T("alert_stuck", "Ref", s.Ref, "State", stateLabel(loc, s.State), "Minutes", loc.Number(minutes))
			})
		}
	}
	return nil
}

// alertFailed tells the admins of a sale that failed after the API had
// accepted it (the platform failed the order, or its delivery was given
// up): the wallet may have been charged.
func (e *Engine) alertFailed(ctx context.Context, s Sale) {
	e.alertAdmins(ctx, "failed:"+s.Ref, func(loc *locales.Localizer) string {
		return loc.T("alert_failed", "Ref", s.Ref, "Bundle", s.BundleName)
	})
}

// checkOrphans alerts the admins of the orders of the last two days that
// carry this bot's prefix and that the ledger lacks, or that the ledger
// holds as never charged.
func (e *Engine) checkOrphans(ctx context.Context, now time.Time) error {
	l, ok := e.api.(orderLister)
	if !ok {
		return nil
	}
	page, err := l.Orders(ctx, reseller.OrderQuery{From: now.AddDate(0, 0, -1), To: now, PageSize: 100, PageNumber: 1})
	if err != nil {
		return err
	}
	prefix := strings.ToUpper(e.cfg.OrderPrefix) + "-"
	for _, o := range page.Items {
		if !strings.HasPrefix(o.Reference, prefix) {
			continue
		}
		s, err := e.store.Sale(ctx, o.Reference)
		ref, id := o.Reference, o.ID.String()
		switch {
		case errors.Is(err, ErrNotFound):
			e.alertAdmins(ctx, "orphan:"+ref, func(loc *locales.Localizer) string {
				return loc.T("alert_orphan", "Ref", ref, "OrderID", id)
			})
		case err != nil:
			return err
		case s.State == SaleFailed && s.FailReason == "sale_not_charged" && !o.Failed():
			// The platform committed the order after the bot had settled
			// that it never would (see schedule): the wallet paid for an
			// eSIM the customer was told was not bought.
			e.alertAdmins(ctx, "late:"+ref, func(loc *locales.Localizer) string {
				return loc.T("alert_late_order", "Ref", ref, "OrderID", id, "Bundle", s.BundleName)
			})
		}
	}
	return nil
}

// atomicTime is a time.Time safe for concurrent use.
type atomicTime struct {
	mu sync.Mutex
	t  time.Time
}

// Load returns the time stored.
func (a *atomicTime) Load() time.Time { a.mu.Lock(); defer a.mu.Unlock(); return a.t }

// Store stores t.
func (a *atomicTime) Store(t time.Time) { a.mu.Lock(); defer a.mu.Unlock(); a.t = t }
