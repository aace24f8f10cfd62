package flows

import (
	"context"
	"strings"
	"time"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// What the usage watcher tells (usagewatch.go): the thresholds a bundle
// passed, each alert once, and when to read the eSIM next.

// usageAlertKeys are the locale keys of the usage alerts.
var usageAlertKeys = []string{"ualert_started", "ualert_used80", "ualert_floor", "ualert_expiring", "ualert_expired",
	"ualert_btn_topup", "ualert_btn_usage", "ualert_btn_mute"}

// passing is a threshold a bundle passed, and whether it is told (the
// lesser of two passed at once is only recorded).
type passing struct {
	kind alertKind
	tell bool
}

// tell tells the eSIM's owner of the thresholds its bundles passed, in the
// answer read at time at, and returns when the eSIM is due next.
func (e *Engine) tell(ctx context.Context, w watched, u User, c reseller.Consumption, now, at time.Time) (slot, error) {
	inUse := strings.EqualFold(c.ProfileStatus, "active") || strings.EqualFold(c.ProfileStatus, "enabled")
	period := e.cfg.UsageInterval
	over := len(c.Balances) > 0
	for _, b := range c.Balances {
		for _, p := range e.passed(b, inUse, now) {
			if err := e.alertOnce(ctx, w, u, b, p, now); err != nil {
				return slot{}, err
			}
		}
		over = over && expired(b, now)
		if started(b, inUse) {
			period = min(period, e.nearPeriod(b, at))
		}
	}
	if over {
		if _, err := e.store.MarkUsageAlert(ctx, doneKey(w), now); err != nil {
			return slot{}, err
		}
		return slot{at: now.Add(24 * time.Hour), period: e.cfg.UsageInterval}, nil
	}
	return slot{at: at.Add(period + jitter(period/10)), period: period}, nil
}

// expired reports whether a bundle has ended.
func expired(b reseller.Balance, now time.Time) bool {
	return strings.EqualFold(b.Status, "expired") || !b.ExpiryDate.IsZero() && !now.Before(b.ExpiryDate.Time)
}

// passed lists the thresholds a bundle has passed at now.
func (e *Engine) passed(b reseller.Balance, inUse bool, now time.Time) []passing {
	if !started(b, inUse) {
		return []passing{{alertPending, false}}
	}
	if expired(b, now) {
		return []passing{{alertStarted, false}, {alertExpiring, false}, {alertExpired, true}}
	}
	out := []passing{{alertStarted, true}}
	if !b.ExpiryDate.IsZero() && b.ExpiryDate.Sub(now) <= 24*time.Hour {
		out = append(out, passing{alertExpiring, true})
	}
	if b.Unlimited() || b.TotalMB <= 0 {
		return out
	}
	left, total := max(int64(b.RemainingMB), 0), int64(b.TotalMB)
	switch {
	case left < e.cfg.DataFloorMB && total > e.cfg.DataFloorMB:
		out = append(out, passing{alertUsed80, false}, passing{alertFloor, true})
	case (total-left)*100 >= 80*total:
		out = append(out, passing{alertUsed80, true})
	}
	return out
}

// nearPeriod is how soon a started bundle must be read again: when its
// next time threshold passes (within the interval), a third of the interval
// when its data is close to one, the interval otherwise; a minute at least.
func (e *Engine) nearPeriod(b reseller.Balance, at time.Time) time.Duration {
	interval := e.cfg.UsageInterval
	p := interval
	if !b.ExpiryDate.IsZero() {
		for _, t := range []time.Time{b.ExpiryDate.Add(-24 * time.Hour), b.ExpiryDate.Time} {
			if d := t.Sub(at); d > 0 && d < p {
				p = d
			}
		}
	}
	if !b.Unlimited() && b.TotalMB > 0 {
		left, total := max(int64(b.RemainingMB), 0), int64(b.TotalMB)
		near70 := (total-left)*100 >= 70*total && (total-left)*100 < 80*total
		nearFloor := left >= e.cfg.DataFloorMB && left-e.cfg.DataFloorMB < total/10
		if near70 || nearFloor {
			p = min(p, interval/3)
		}
	}
	return max(p, time.Minute)
}

// alertKey names one threshold of one bundle on one eSIM.
func alertKey(iccid string, b reseller.Balance, k alertKind) string {
	id := b.OrderID.String()
	if id == "" {
		id = b.BundleCode + "@" + b.ExpiryDate.UTC().Format("20060102T150405")
	}
	return iccid + "|" + id + "|" + string(k)
}

// alertOnce records a threshold and, the first time, tells the owner when
// they want it. The record is written before the message is sent (see
// usagewatch.go); a send that fails forgets it, so the next poll tries
// again, unless the user blocked the bot.
func (e *Engine) alertOnce(ctx context.Context, w watched, u User, b reseller.Balance, p passing, now time.Time) error {
	iccid := w.first.ICCID
	if p.kind == alertStarted && p.tell {
		// "Started" only for a bundle seen before it started.
		seen, err := e.store.UsageAlertMarked(ctx, alertKey(iccid, b, alertPending))
		if err != nil {
			return err
		}
		p.tell = seen
	}
	key := alertKey(iccid, b, p.kind)
	fresh, err := e.store.MarkUsageAlert(ctx, key, now)
	if err != nil || !fresh || !p.tell || !u.Alerts.wants(p.kind) {
		return err
	}
	e.log.InfoContext(ctx, "usage alert", "iccid", iccid, "alert", p.kind, "chat", w.first.Chat)
	if err := e.msg.Send(ctx, w.first.Chat, e.usageAlert(ctx, w, u, b, p.kind)); err != nil {
		e.log.WarnContext(ctx, "usage alert not sent", "iccid", iccid, "alert", p.kind, "err", err)
		if now, err := e.store.User(ctx, u.ID); ctx.Err() == nil && (err != nil || !now.Blocked) {
			return e.store.ClearUsageAlert(ctx, key)
		}
	}
	return nil
}

// usageAlert is the message of an alert, in the owner's language, with its
// buttons: Top up (when the profile has top-ups), Check usage, Mute.
func (e *Engine) usageAlert(ctx context.Context, w watched, u User, b reseller.Balance, k alertKind) Message {
	lang := u.Lang
	if lang == "" {
		lang = w.first.Lang
	}
	loc := e.cat.For(lang)
	iccid := w.first.ICCID
	text := loc.T("ualert_"+string(k), usageAlertArgs(loc, w, b)...)
	var rows [][]Button
	if offers, err := e.topupOffers(ctx, iccid, false); err != nil || len(offers) > 0 {
		rows = append(rows, []Button{globalButton(loc.T("ualert_btn_topup"), actTopupOf, iccid)})
	}
	rows = append(rows, []Button{globalButton(loc.T("ualert_btn_usage"), actUsage, iccid)},
		[]Button{globalButton(loc.T("ualert_btn_mute"), actMute, iccid)})
	return Message{Text: text, Buttons: rows}
}

// usageAlertArgs are the values an alert's text may name: the bundle and
// the end of the ICCID, data left and in all, the part used, the expiry.
func usageAlertArgs(loc *locales.Localizer, w watched, b reseller.Balance) []any {
	name := b.BundleCode
	for _, s := range w.sales {
		if s.BundleName != "" && (s.OrderID != "" && s.OrderID == b.OrderID.String() || s.OrderID == "" && s.BundleCode == b.BundleCode) {
			name = s.BundleName
		}
	}
	left, total := max(int64(b.RemainingMB), 0), int64(b.TotalMB)
	pct := 0
	if total > 0 {
		pct = int(min((total-left)*100/total, 100))
	}
	return []any{"Name", name, "Tail", tail(w.first.ICCID), "Left", dataLabel(loc, left), "Total", dataLabel(loc, total),
		"Percent", loc.Percent(pct), "Date", loc.Date(b.ExpiryDate.Time)}
}
