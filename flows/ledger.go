package flows

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// The ledger: sales, their states and the payments for them.

// SaleState is where a sale is in its life. See DESIGN.md invariant 4:
// confirmed → (paid) → assigning → assigned → delivered, or failed.
type SaleState string

// The sale states.
const (
	// SaleConfirmed: the user confirmed; nothing was sent to the API yet.
	SaleConfirmed SaleState = "confirmed"
	// SalePaid: the user paid (payments only).
	SalePaid SaleState = "paid"
	// SaleAssigning: the purchase was (or is being) sent; its outcome may
	// be unknown until reconciled.
	SaleAssigning SaleState = "assigning"
	// SaleAssigned: the API sold it; the user may not have it yet.
	SaleAssigned SaleState = "assigned"
	// SaleDelivered: the user received the eSIM (or the top-up notice).
	SaleDelivered SaleState = "delivered"
	// SaleFailed: the API refused it, or it was given up; FailReason says why.
	SaleFailed SaleState = "failed"
)

// transitions lists the allowed moves between sale states.
var transitions = map[SaleState][]SaleState{
	SaleConfirmed: {SalePaid, SaleAssigning, SaleFailed},
	SalePaid:      {SaleAssigning, SaleFailed},
	SaleAssigning: {SaleAssigned, SaleFailed},
	SaleAssigned:  {SaleDelivered, SaleFailed}, // failed: the platform failed the order after accepting it
	SaleDelivered: {SaleDelivered},             // a resend keeps it delivered
	SaleFailed:    {},
}

// CanMove reports whether a sale may go from one state to another.
func CanMove(from, to SaleState) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Finished reports whether the sale needs no more work.
func (s SaleState) Finished() bool { return s == SaleDelivered || s == SaleFailed }

// SaleKind tells a new eSIM from a top-up on an existing one.
type SaleKind string

// The sale kinds.
const (
	KindNew   SaleKind = "new"
	KindTopup SaleKind = "topup"
)

// Transition records when a sale entered a state.
type Transition struct {
	// State is the state entered.
	State SaleState `json:"state"`
	// At is when.
	At time.Time `json:"at"`
}

// Sale is one sale, the ledger's record, keyed by its order reference. It
// is written before the API is called and never deleted.
type Sale struct {
	// Ref is the order_reference sent to the API: unique, at most 30 characters.
	Ref string `json:"ref"`
	// Kind is a new eSIM or a top-up.
	Kind SaleKind `json:"kind"`
	// Chat and User are where and by whom it was sold.
	Chat ChatID `json:"chat"`
	User UserID `json:"user"`
	// SoldBy is the seller's role: a customer for themselves, or an agent.
	SoldBy Role `json:"sold_by"`
	// Lang is the language to deliver in.
	Lang string `json:"lang,omitempty"`
	// BundleCode, BundleName and ProfileType describe what was sold;
	// BundleName is in the sale's language, Plan is the API's name.
	BundleCode  string `json:"bundle_code"`
	BundleName  string `json:"bundle_name"`
	Plan        string `json:"plan,omitempty"`
	ProfileType string `json:"profile_type,omitempty"`
	// Days is the bundle's validity.
	Days int `json:"days,omitempty"`
	// Price and Currency are what the customer was shown; Cost is what the
	// reseller pays (bundle_price_final).
	Price    decimal.Decimal `json:"price"`
	Currency string          `json:"currency"`
	Cost     decimal.Decimal `json:"cost"`
	// Email, Name and WhatsApp are the end user's details (redacted by Forget).
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	WhatsApp string `json:"whatsapp,omitempty"`
	// PreviousRef and PreviousOrderID name the profile a top-up goes on.
	PreviousRef     string `json:"previous_ref,omitempty"`
	PreviousOrderID string `json:"previous_order_id,omitempty"`
	// State is the current state; History has every state entered, in order.
	State   SaleState    `json:"state"`
	History []Transition `json:"history"`
	// OrderID and ICCID come from the API once assigned.
	OrderID string `json:"order_id,omitempty"`
	ICCID   string `json:"iccid,omitempty"`
	// LPA is the activation string once known.
	LPA string `json:"lpa,omitempty"`
	// FailReason is a locale key saying why the sale failed.
	FailReason string `json:"fail_reason,omitempty"`
	// TextSent and PhotoSent record which parts of the delivery reached the
	// chat: the installation text (ICCID, SM-DP+ address, activation code,
	// links) and the QR code picture. Each is sent once.
	TextSent  bool `json:"text_sent,omitempty"`
	PhotoSent bool `json:"photo_sent,omitempty"`
	// TextSending and PhotoSending are written before each part is sent:
	// one set without its Sent may have reached the chat (the program
	// stopped, or the channel's answer was lost), so the part is sent
	// again saying it is the same eSIM again.
	TextSending  bool `json:"text_sending,omitempty"`
	PhotoSending bool `json:"photo_sending,omitempty"`
	// Held is set when the delivery met a user who blocked the bot: the
	// reconciler leaves the sale, and it is delivered when the user writes
	// to the bot again (the sale is held for the user).
	Held bool `json:"held,omitempty"`
	// PhotoTries counts failed attempts to send the QR code picture.
	PhotoTries int `json:"photo_tries,omitempty"`
	// Attempts counts reconciliation and delivery attempts, for backoff.
	Attempts int `json:"attempts,omitempty"`
	// Unseen counts reconciliations that found no order with this reference:
	// enough of them and the sale was never charged.
	Unseen int `json:"unseen,omitempty"`
	// NextAttempt is when the reconciler may try again.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Created is when the sale was confirmed.
	Created time.Time `json:"created"`
	// Redacted is set once Forget removed the personal fields.
	Redacted bool `json:"redacted,omitempty"`

	// Wallet is the reseller's balance the sale's purchase answer gave
	// (shop.go: the agent's receipt, the low-balance alert).
	Wallet *Wallet `json:"wallet,omitempty"`
	// Payment in the bot (issue 10). Stars is the price in Telegram Stars
	// when the customer pays through the bot (0: no payment); a confirmed
	// sale with Stars and no ChargeID awaits payment until InvoiceExpires.
	Stars          int64     `json:"stars,omitempty"`
	InvoiceNonce   string    `json:"invoice_nonce,omitempty"`
	InvoiceExpires time.Time `json:"invoice_expires,omitzero"`
	// ChargeID is the telegram_payment_charge_id of the payment, once paid.
	ChargeID string `json:"charge_id,omitempty"`
	// Refund is where the refund of a paid sale that failed is;
	// RefundTries counts failed refund calls.
	Refund      RefundState `json:"refund,omitempty"`
	RefundTries int         `json:"refund_tries,omitempty"`
}

// AwaitingPayment reports whether the sale waits for the customer's
// payment: nothing may be sent to the API for it yet (DESIGN.md invariant 7).
func (s Sale) AwaitingPayment() bool {
	return s.State == SaleConfirmed && s.Stars > 0 && s.ChargeID == ""
}

// RefundState is where the refund of a paid sale is.
type RefundState string

// The refund states: none (""), due (to be sent, or sent with an unknown
// outcome), done.
const (
	RefundDue  RefundState = "due"
	RefundDone RefundState = "done"
)

// Payment is a payment received (Telegram's successful_payment), recorded
// once by its charge ID whatever became of it.
type Payment struct {
	// ChargeID is telegram_payment_charge_id: unique, the key.
	ChargeID string `json:"charge_id"`
	// ProviderChargeID is provider_payment_charge_id.
	ProviderChargeID string `json:"provider_charge_id,omitempty"`
	// Chat and User say where and who paid.
	Chat ChatID `json:"chat"`
	User UserID `json:"user"`
	// Stars and Currency are the amount paid.
	Stars    int64  `json:"stars"`
	Currency string `json:"currency"`
	// Payload is the invoice payload; Ref the sale it names, if any.
	Payload string `json:"payload"`
	Ref     string `json:"ref,omitempty"`
	// At is when the payment was received.
	At time.Time `json:"at"`
	// Problem, when set, says why no sale took the payment (an unknown or
	// finished sale): it is reported to the admins.
	Problem string `json:"problem,omitempty"`
}

// MoveTo moves the sale to state at time at, or returns an error wrapping
// ErrBadTransition when the move is not allowed.
func (s *Sale) MoveTo(state SaleState, at time.Time) error {
	if !CanMove(s.State, state) {
		return fmt.Errorf("sale %s: %s → %s: %w", s.Ref, s.State, state, ErrBadTransition)
	}
	s.State = state
	s.History = append(s.History, Transition{State: state, At: at})
	return nil
}
