package flows

import (
	"context"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller"
)

// What an agent sees that a customer does not: their cost (the API's
// bundle_price_final) next to the retail price on bundles and summaries,
// and after a sale the order reference, the wallet left, a receipt to
// show or forward, and a button that hands the eSIM over on WhatsApp.

// receiptKeys are the locale keys of the agent's messages after a sale.
var receiptKeys = []string{"sale_done_agent", "wallet_line", "wallet_line_extra", "receipt", "btn_whatsapp_send", "wa_install"}

// costKeys are the locale keys of the cost notes on the screens.
var costKeys = []string{"agent_cost", "summary_cost_agent"}

// Wallet is the reseller's wallet after a sale, as the purchase answer
// gave it.
type Wallet struct {
	// Balance is what is left, in the sale's currency.
	Balance decimal.Decimal `json:"balance"`
	// Extra is the same in ExtraCurrency, when the API gave one.
	Extra         decimal.Decimal `json:"extra,omitzero"`
	ExtraCurrency string          `json:"extra_currency,omitempty"`
}

// walletOf is the wallet of a purchase answer, or nil when it gave none.
func walletOf(res reseller.AssignResult) *Wallet {
	if res.RemainingBalance.IsZero() && res.AdditionalCurrency == "" {
		return nil
	}
	w := &Wallet{Balance: res.RemainingBalance}
	if res.AdditionalCurrency != "" {
		w.Extra, w.ExtraCurrency = res.RemainingBalanceAdditional, res.AdditionalCurrency
	}
	return w
}

// staff reports whether a role sells for others (agent or admin).
func staff(r Role) bool { return r == RoleAgent || r == RoleAdmin }

// costNote is the agent's cost after a bundle's line, for staff.
func costNote(v view, o BundleOffer) string {
	if !staff(v.u.Role) || o.Cost.IsZero() {
		return ""
	}
	return " " + v.loc.T("agent_cost", "Cost", v.loc.Price(o.Cost, o.Currency))
}

// costSummary is the cost, price and margin under a summary, for staff.
func costSummary(v view, o BundleOffer) string {
	if !staff(v.u.Role) || o.Cost.IsZero() {
		return ""
	}
	return "\n\n" + v.loc.T("summary_cost_agent", "Price", v.loc.Price(o.Price, o.Currency),
		"Cost", v.loc.Price(o.Cost, o.Currency), "Margin", v.loc.Price(o.Price.Sub(o.Cost), o.Currency))
}

// afterSale tells the agent of a delivered sale its reference, cost and
// the wallet left, then sends the receipt to show or forward to the
// customer. A customer's sale has none of it.
func (e *Engine) afterSale(ctx context.Context, s Sale) {
	if !staff(s.SoldBy) {
		return
	}
	loc := e.cat.For(s.Lang)
	text := loc.T("sale_done_agent", "Ref", s.Ref, "Cost", loc.Price(s.Cost, s.Currency),
		"Margin", loc.Price(s.Price.Sub(s.Cost), s.Currency))
	if w := s.Wallet; w != nil {
		if w.ExtraCurrency != "" {
			text += "\n" + loc.T("wallet_line_extra", "Balance", loc.Price(w.Balance, s.Currency), "Extra", loc.Price(w.Extra, w.ExtraCurrency))
		} else {
			text += "\n" + loc.T("wallet_line", "Balance", loc.Price(w.Balance, s.Currency))
		}
	}
	e.notify(ctx, s, Message{Text: text})
	e.notify(ctx, s, Message{Text: loc.T("receipt", "Ref", s.Ref, "Bundle", s.BundleName, "Name", s.Name, "Email", s.Email,
		"Price", loc.Price(s.Price, s.Currency), "Date", loc.Date(s.Created))})
}

// whatsAppButton opens WhatsApp on the customer's number with the install
// links and the codes typed in, for a sale an agent made with a number.
func whatsAppButton(loc localizer, s Sale, links reseller.InstallLinks, smdp, code string) *Button {
	digits := strings.TrimPrefix(s.WhatsApp, "+")
	if !staff(s.SoldBy) || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return nil
	}
	text := loc.Plain("wa_install", "Bundle", s.BundleName, "IOS", links.IOS, "Android", links.Android, "SMDP", smdp, "Code", code)
	return &Button{Text: loc.T("btn_whatsapp_send"), URL: "https://wa.me/" + digits + "?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")}
}

// localizer is what whatsAppButton needs of a locales.Localizer.
type localizer interface {
	T(key string, args ...any) string
	Plain(key string, args ...any) string
}
