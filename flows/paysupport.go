package flows

import (
	"context"
	"strings"
	"time"

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
		text += "\n\n" + in.loc.T("paysupport_line", "Ref", p.Ref, "Stars", in.loc.Number(int64(p.Stars)), "When", when(in.loc, p.At),
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
// payment apart from its delivery: "awaiting payment", "paid · processing",
// "paid · being delivered", "paid · delivered", "refunded".
func saleLabel(loc *locales.Localizer, s Sale) string {
	switch {
	case s.Refund == RefundDone:
		return loc.T("pay_refunded")
	case s.Refund == RefundDue:
		return loc.T("pay_refund_due")
	case s.AwaitingPayment():
		return loc.T("pay_awaiting")
	case s.ChargeID != "":
		state := s.State
		if state == SalePaid {
			state = SaleAssigning // paid: its delivery is what comes next
		}
		return loc.T("pay_label", "State", locales.Raw(stateLabel(loc, state)))
	}
	return stateLabel(loc, s.State)
}

// srcOrders is the source of a user's orders that are no eSIM of theirs
// (yet): awaiting payment, paid and under way, failed after payment and
// refunded (key: none).
const srcOrders source = 1001

// needOrders is the need of the orders My eSIMs lists under the eSIMs.
var needOrders = need{src: srcOrders}

func init() {
	loaders[srcOrders] = loader{name: "orders", store: true, load: func(ctx context.Context, e *Engine, u User, _ string) (any, error) {
		sales, err := e.store.SalesByUser(ctx, u.ID)
		return ordersOf(sales), err
	}}
}

// maxOrders is how many orders My eSIMs lists.
const maxOrders = 5

// ordersOf returns the new-eSIM sales (of sales, newest first) that are no
// eSIM yet and that the user should see: those paid or awaiting payment,
// whatever became of them (refunded), and those under way.
func ordersOf(sales []Sale) []Sale {
	var out []Sale
	for _, s := range sales {
		onESIM := s.ICCID != "" && (s.State == SaleAssigned || s.State == SaleDelivered)
		payment := s.ChargeID != "" || s.AwaitingPayment()
		if s.Kind == KindNew && !onESIM && (payment || s.State == SalePaid || s.State == SaleAssigning) {
			out = append(out, s)
		}
		if len(out) == maxOrders {
			break
		}
	}
	return out
}

// ordersText lists the orders under the eSIMs, or says nothing.
func ordersText(v view) string {
	orders, err := look[[]Sale](v, needOrders)
	if err != nil || len(orders) == 0 {
		return ""
	}
	lines := []string{v.loc.T("esims_orders")}
	for _, s := range orders {
		lines = append(lines, v.loc.T("esims_order_line", "Bundle", s.BundleName, "State", saleLabel(v.loc, s),
			"Date", v.loc.Date(s.Created), "Ref", s.Ref))
	}
	return "\n\n" + strings.Join(lines, "\n")
}

// when says the moment of a payment, for a support request: the date in
// the language's form and the time in UTC, with the language's digits.
func when(loc *locales.Localizer, t time.Time) string {
	t = t.UTC()
	return loc.Date(t) + " " + loc.Digits(t.Format("15:04")) + " UTC"
}
