package reseller

import "github.com/shopspring/decimal"

// Amounts the API sends (prices, charges, balances) are decimals of any
// size in JSON: 17e25600000 decodes into a decimal.Decimal at once, but
// printing it or converting it to Stars would take seconds and megabytes.
// The client keeps only amounts a shop can have: a bundle with a price
// beyond them is left out of its list, and a charge or a balance beyond
// them reads as zero (they are shown to staff, never sold at).

// maxAmount is the largest amount the client accepts, in any currency.
var maxAmount = decimal.New(1, 12)

// saneAmount says whether d is an amount a shop can have: at most
// maxAmount in size, with at most 12 decimal places. It checks the
// exponent first, so that a huge one costs nothing.
func saneAmount(d decimal.Decimal) bool {
	if e := d.Exponent(); e < -12 || e > 12 {
		return d.IsZero() && e > -1000 && e < 1000 // 0E-8 and the like
	}
	return d.Abs().LessThanOrEqual(maxAmount)
}

// saneOrZero is d if it is a sane amount, else zero.
func saneOrZero(d decimal.Decimal) decimal.Decimal {
	if saneAmount(d) {
		return d
	}
	return decimal.Zero
}

// checked is an item of an answer that checks its own amounts: sane is
// false when the client must not use it at all.
type checked interface{ sane() bool }

// fixed is an answer, or an item of one, whose amounts beyond reason are
// set to zero.
type fixed interface{ fixAmounts() }

// sane says whether the bundle's prices are all amounts a shop can have.
func (b Bundle) sane() bool {
	return saneAmount(b.PriceFinal) && saneAmount(b.SubscriberPrice) && saneAmount(b.ResellerRetailPrice)
}

// fixAmounts zeroes the balances beyond reason.
func (r *AssignResult) fixAmounts() {
	r.RemainingBalance = saneOrZero(r.RemainingBalance)
	r.RemainingBalanceAdditional = saneOrZero(r.RemainingBalanceAdditional)
}

// fixAmounts zeroes a charge beyond reason.
func (o *Order) fixAmounts() { o.AmountCharged = saneOrZero(o.AmountCharged) }

// checkItems leaves out of items those whose amounts cannot be used, and
// fixes the others' in place.
func checkItems[T any](items []T) []T {
	out := items[:0]
	for i := range items {
		if c, ok := any(items[i]).(checked); ok && !c.sane() {
			continue
		}
		if f, ok := any(&items[i]).(fixed); ok {
			f.fixAmounts()
		}
		out = append(out, items[i])
	}
	return out
}
