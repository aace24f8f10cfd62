package flows

import "testing"

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
