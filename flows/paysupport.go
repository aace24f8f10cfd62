package flows

import (
	"context"

	"github.com/esimbot/esimbot/locales"
)

// What a paying customer may ask: /paysupport, /terms, and the state of
// their payments in their lists.

// srcPayments is the source of a user's payments (key: none).
const srcPayments source = 1000

func init() {
	loaders[srcPayments] = loader{name: "payments", store: true, load: func(ctx context.Context, e *Engine, u User, _ string) (any, error) {
		return e.store.PaymentsByUser(ctx, u.ID)
	}}
}

// maxPaySupport is how many recent payments /paysupport lists.
const maxPaySupport = 5

// paySupport is /paysupport, which Telegram requires of bots that take
// payments: the shop's contact and the user's recent payments.
func paySupport(c Conversation, u User, in input) (Conversation, []effect) {
	pays, wait := want[[]Payment](in, need{src: srcPayments})
	if wait != nil {
		return c, wait
	}
	text := in.loc.T("paysupport")
	if in.cfg.Support != "" {
		text += "\n" + in.loc.T("paysupport_contact", "Support", in.cfg.Support)
	}
	if len(pays) == 0 {
		text += "\n\n" + in.loc.T("paysupport_none")
	}
	for i, p := range pays {
		if i == maxPaySupport {
			break
		}
		text += "\n\n" + in.loc.T("paysupport_line", "Ref", p.Ref, "Stars", p.Stars, "When", p.At.UTC().Format("2006-01-02 15:04 UTC"),
			"Charge", p.ChargeID, "State", in.loc.T(payStateKey(p)))
	}
	return c, []effect{say{key: "paysupport", m: Message{Text: text}}}
}

// payStateKey is the locale key of what became of a payment.
func payStateKey(p Payment) string {
	if p.Problem != "" {
		return "pay_state_problem"
	}
	return "pay_state_paid"
}

// terms is /terms: the operator's terms, or the catalog's.
func terms(c Conversation, _ User, in input) (Conversation, []effect) {
	if in.cfg.Terms != "" {
		return c, []effect{say{key: "terms", m: Message{Text: in.cfg.Terms}}}
	}
	return c, []effect{in.say("terms", "Support", in.cfg.Support)}
}

// saleLabel is a sale's state as the user's lists show it, with its
// payment apart from its delivery: "paid · being delivered", "refunded".
func saleLabel(loc *locales.Localizer, s Sale) string {
	switch {
	case s.Refund == RefundDone:
		return loc.T("pay_refunded")
	case s.Refund == RefundDue:
		return loc.T("pay_refund_due")
	case s.ChargeID != "" && s.State != SaleDelivered:
		return loc.T("pay_label", "State", locales.Raw(stateLabel(loc, s.State)))
	}
	return stateLabel(loc, s.State)
}
