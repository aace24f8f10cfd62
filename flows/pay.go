package flows

// Payments says how customers pay for a sale.
type Payments string

// The payment methods.
const (
	// PaymentsNone: nobody pays through the bot; with Config.ClosedSales,
	// only agents and admins complete sales.
	PaymentsNone Payments = "none"
)

// payKeys are the locale keys of selling and payments: the refusal of a
// customer's Confirm when they may not buy here.
var payKeys = []string{"sale_closed", "sale_closed_support"}

// mayBuy reports whether u may complete a sale without paying through the
// bot: agents and admins always, customers only while sales are open.
func mayBuy(cfg *Config, u User) bool {
	return u.Role != RoleCustomer || !cfg.ClosedSales
}

// closedSale answers a customer's Confirm while they may not buy here: it
// sells nothing, says how to buy (the shop's contact when there is one),
// and shows the summary again.
func closedSale(c Conversation, u User, in input) (Conversation, []effect) {
	refusal := in.say("sale_closed")
	if in.cfg.Support != "" {
		refusal = in.say("sale_closed_support", "Support", in.cfg.Support)
	}
	return c, []effect{refusal, showScreen{}}
}
