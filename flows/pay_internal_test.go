package flows

import (
	"testing"
	"time"
)

func TestSaleLabel(t *testing.T) {
	loc := testCatalog.For("en")
	for _, tc := range []struct {
		name string
		s    Sale
		want string
	}{
		{"Unpaid", Sale{State: SaleAssigned}, "being delivered"},
		{"PaidBeingDelivered", Sale{State: SaleAssigned, ChargeID: "ch"}, "paid · being delivered"},
		{"PaidDelivered", Sale{State: SaleDelivered, ChargeID: "ch"}, "paid · delivered"},
		{"PaidNotSentYet", Sale{State: SalePaid, ChargeID: "ch"}, "paid · processing"},
		{"AwaitingPayment", Sale{State: SaleConfirmed, Stars: 201}, "awaiting payment"},
		{"Refunded", Sale{State: SaleFailed, ChargeID: "ch", Refund: RefundDone}, "refunded"},
		{"RefundDue", Sale{State: SaleFailed, ChargeID: "ch", Refund: RefundDue}, "being refunded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := saleLabel(loc, tc.s); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWithin: an invoice's lapse is said in hours when whole, else in
// minutes, with the language's plural and digits (it said "1440 minutes"
// for a day, and "30" in Western digits in Arabic).
func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", 24 * time.Hour, "24 hours"},
		{"en", time.Hour, "1 hour"},
		{"en", 30 * time.Minute, "30 minutes"},
		{"en", 90 * time.Minute, "90 minutes"},
		{"en", 45 * time.Second, "1 minute"},
		{"fr", 24 * time.Hour, "24 heures"},
		{"fr", time.Minute, "1 minute"},
		{"ar", 24 * time.Hour, "٢٤ ساعة"},
		{"ar", 2 * time.Hour, "ساعتين"},
		{"ar", 5 * time.Minute, "٥ دقائق"},
		{"ar", 30 * time.Minute, "٣٠ دقيقة"},
	} {
		if got := within(testCatalog.For(tc.lang), tc.d); got != tc.want {
			t.Errorf("within(%s, %v) = %q, want %q", tc.lang, tc.d, got, tc.want)
		}
	}
}
