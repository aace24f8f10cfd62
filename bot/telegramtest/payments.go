//lint:file-ignore ST1005 the fake copies the Bot API's own error descriptions, capitalised as Telegram writes them

package telegramtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Payments in Telegram Stars, for digital goods: sendInvoice in XTR,
// the pre_checkout_query a buyer's tap on Pay sends (Pay), the bot's
// answerPreCheckoutQuery, the successful_payment message that follows an
// ok answer in time, and refundStarPayment.

// StarsCurrency is the currency of payments in Telegram Stars, the only
// one the fake serves.
const StarsCurrency = "XTR"

// DefaultPreCheckoutTimeout is how long Telegram gives a bot to answer a
// pre_checkout_query: Server.PreCheckoutTimeout when it is zero.
const DefaultPreCheckoutTimeout = 10 * time.Second

// Telegram's limits of an invoice: title and description in characters,
// payload in bytes.
const (
	maxInvoiceTitle       = 32
	maxInvoiceDescription = 255
	maxInvoicePayload     = 128
)

// Invoice is the invoice of a message sent with sendInvoice.
type Invoice struct {
	Title          string
	Description    string
	Payload        string // the bot's invoice payload, never shown to the user
	StartParameter string
	Currency       string // StarsCurrency
	TotalAmount    int    // in Stars
	PriceLabel     string // the label of the one price
}

// SuccessfulPayment is the successful_payment of a message: the service
// message by which Telegram tells the bot it was paid, in the Bot API's
// JSON form.
type SuccessfulPayment struct {
	Currency                string `json:"currency"`
	TotalAmount             int    `json:"total_amount"`
	InvoicePayload          string `json:"invoice_payload"`
	TelegramPaymentChargeID string `json:"telegram_payment_charge_id"`
	ProviderPaymentChargeID string `json:"provider_payment_charge_id"`
}

// PreCheckoutAnswer is an answerPreCheckoutQuery call that the fake
// accepted, with the query it answers.
type PreCheckoutAnswer struct {
	PreCheckoutQueryID string
	OK                 bool
	ErrorMessage       string
	// The query it answers: who pays which invoice.
	ChatID           int64
	UserID           int64
	InvoiceMessageID int
	InvoicePayload   string
	TotalAmount      int
}

// Payment is a payment the fake made: an ok answer to the
// pre_checkout_query of a Pay, in time, and the successful_payment message
// it sent the bot.
type Payment struct {
	ChatID           int64
	UserID           int64
	InvoiceMessageID int
	MessageID        int   // the successful_payment message in the chat
	UpdateID         int64 // the message update that carried it first
	SuccessfulPayment
}

// Refund is a refundStarPayment call that succeeded.
type Refund struct {
	UserID                  int64
	TelegramPaymentChargeID string
	TotalAmount             int
	InvoicePayload          string
}

// payState is the fake's record of invoices, queries, payments and
// refunds.
type payState struct {
	invoices map[invoiceKey]*invoiceState
	queries  map[string]*preCheckout
	answers  []PreCheckoutAnswer
	payments []*payment
	byCharge map[string]*payment
	refunds  []Refund
	seq      int
}

func newPayState() payState {
	return payState{
		invoices: map[invoiceKey]*invoiceState{},
		queries:  map[string]*preCheckout{},
		byCharge: map[string]*payment{},
	}
}

type invoiceKey struct {
	chatID    int64
	messageID int
}

// invoiceState tells whether an invoice was paid or is being paid.
type invoiceState struct {
	paid    bool
	pending *preCheckout // the query of a Pay not answered yet, if any
}

// preCheckout is a pre_checkout_query sent by Pay.
type preCheckout struct {
	id       string
	key      invoiceKey
	userID   int64
	invoice  Invoice
	deadline time.Time
	answered bool // answered, or expired by a late answer
}

// open reports whether the query can still be answered at now.
func (q *preCheckout) open(now time.Time) bool {
	return !q.answered && !now.After(q.deadline)
}

type payment struct {
	Payment
	raw      json.RawMessage // the message as the update carried it
	refunded bool
}

// wireInvoice is a message's invoice as the Bot API returns it.
type wireInvoice struct {
	Title          string `json:"title"`
	Description    string `json:"description"`
	StartParameter string `json:"start_parameter"`
	Currency       string `json:"currency"`
	TotalAmount    int    `json:"total_amount"`
}

func (inv *Invoice) wire() *wireInvoice {
	if inv == nil {
		return nil
	}
	return &wireInvoice{Title: inv.Title, Description: inv.Description, StartParameter: inv.StartParameter, Currency: inv.Currency, TotalAmount: inv.TotalAmount}
}

type labeledPrice struct {
	Label  string `json:"label"`
	Amount int    `json:"amount"`
}

func (s *Server) sendInvoice(_ *http.Request, p *params) (any, *apiError) {
	inv, err := invoiceOf(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.targetChat(p)
	if err != nil {
		return nil, err
	}
	markup, err := invoiceMarkup(p.str("reply_markup"), c.wire.Type)
	if err != nil {
		return nil, err
	}
	return s.addBotMessage(c, Message{Invoice: inv, ReplyMarkup: markup}, kindOf(markup)), nil
}

// invoiceOf checks the invoice parameters of sendInvoice like Telegram
// does for digital goods in Stars.
func invoiceOf(p *params) (*Invoice, *apiError) {
	inv := &Invoice{
		Title: p.str("title"), Description: p.str("description"), Payload: p.str("payload"),
		StartParameter: p.str("start_parameter"), Currency: p.str("currency"),
	}
	if n := utf16Len(strings.TrimSpace(inv.Title)); n < 1 || n > maxInvoiceTitle {
		return nil, badRequest("INVOICE_TITLE_INVALID")
	}
	if n := utf16Len(strings.TrimSpace(inv.Description)); n < 1 || n > maxInvoiceDescription {
		return nil, badRequest("INVOICE_DESCRIPTION_INVALID")
	}
	if n := len(inv.Payload); n < 1 || n > maxInvoicePayload || !utf8.ValidString(inv.Payload) {
		return nil, badRequest("INVOICE_PAYLOAD_INVALID")
	}
	if inv.Currency != StarsCurrency {
		// Other currencies need a payment provider, which the fake has not.
		return nil, badRequest("PAYMENT_PROVIDER_INVALID")
	}
	maxTip, err := p.int64("max_tip_amount")
	if err != nil {
		return nil, err
	}
	if p.str("provider_token") != "" || maxTip != 0 || strings.TrimSpace(p.str("suggested_tip_amounts")) != "" {
		return nil, badRequest("STARS_INVOICE_INVALID")
	}
	var prices []labeledPrice
	raw := strings.TrimSpace(p.str("prices"))
	if raw == "" {
		return nil, badRequest("parameter \"prices\" is required")
	}
	if err := json.Unmarshal([]byte(raw), &prices); err != nil {
		return nil, badRequest("can't parse prices JSON object")
	}
	switch {
	case len(prices) == 0:
		return nil, badRequest("CURRENCY_TOTAL_AMOUNT_INVALID")
	case len(prices) > 1:
		return nil, badRequest("STARS_INVOICE_INVALID")
	case prices[0].Amount <= 0:
		return nil, badRequest("CURRENCY_TOTAL_AMOUNT_INVALID")
	}
	inv.TotalAmount, inv.PriceLabel = prices[0].Amount, prices[0].Label
	return inv, nil
}

// invoiceMarkup checks an invoice's reply_markup: none, or an inline
// keyboard whose first button is a pay button.
func invoiceMarkup(raw, chatType string) (json.RawMessage, *apiError) {
	markup, kind, err := parseMarkup(raw, chatType, false)
	if err != nil {
		return nil, err
	}
	switch kind {
	case markupNone:
		return nil, nil
	case markupInline:
	default:
		return nil, badRequest("inline keyboard expected")
	}
	var m struct {
		Rows [][]struct {
			Pay bool `json:"pay"`
		} `json:"inline_keyboard"`
	}
	_ = json.Unmarshal(markup, &m)
	if len(m.Rows) == 0 || len(m.Rows[0]) == 0 || !m.Rows[0][0].Pay {
		return nil, badRequest("REPLY_MARKUP_BUY_EMPTY")
	}
	return markup, nil
}

// preCheckoutTimeout returns how long the bot has to answer a
// pre_checkout_query.
func (s *Server) preCheckoutTimeout() time.Duration {
	if s.PreCheckoutTimeout != 0 {
		return s.PreCheckoutTimeout
	}
	return DefaultPreCheckoutTimeout
}

// Pay plays a buyer who taps Pay on the invoice message invoiceMessageID of
// the chat (normally chatID == userID): it queues a pre_checkout_query
// update and returns its update_id and the query ID to answer. If the bot
// answers ok within PreCheckoutTimeout, the fake then queues the
// successful_payment message (see Payments). It fails if the message is
// not an invoice of the bot, if the invoice was paid, or if an earlier
// Pay of it still waits for its answer.
func (s *Server) Pay(chatID, userID int64, invoiceMessageID int) (updateID int64, queryID string, err error) {
	timeout := s.preCheckoutTimeout()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return 0, "", fmt.Errorf("pay invoice %d of chat %d: no such chat", invoiceMessageID, chatID)
	}
	m := c.message(invoiceMessageID)
	if m == nil || !m.FromBot || m.Invoice == nil {
		return 0, "", fmt.Errorf("pay invoice %d of chat %d: no such invoice", invoiceMessageID, chatID)
	}
	key := invoiceKey{chatID, invoiceMessageID}
	st := s.pay.invoices[key]
	if st == nil {
		st = &invoiceState{}
		s.pay.invoices[key] = st
	}
	now := time.Now()
	switch {
	case st.paid:
		return 0, "", fmt.Errorf("pay invoice %d of chat %d: already paid", invoiceMessageID, chatID)
	case st.pending != nil && st.pending.open(now):
		return 0, "", fmt.Errorf("pay invoice %d of chat %d: pre-checkout query %s is not answered yet", invoiceMessageID, chatID, st.pending.id)
	}
	s.nextQuery++
	queryID = fmt.Sprintf("%d%07d", userID, s.nextQuery)
	q := &preCheckout{id: queryID, key: key, userID: userID, invoice: *m.Invoice, deadline: now.Add(timeout)}
	s.pay.queries[queryID] = q
	st.pending = q
	updateID = s.enqueue("pre_checkout_query", struct {
		ID             string   `json:"id"`
		From           wireUser `json:"from"`
		Currency       string   `json:"currency"`
		TotalAmount    int      `json:"total_amount"`
		InvoicePayload string   `json:"invoice_payload"`
	}{queryID, s.user(userID), q.invoice.Currency, q.invoice.TotalAmount, q.invoice.Payload})
	return updateID, queryID, nil
}

func (s *Server) answerPreCheckoutQuery(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.pay.queries[p.str("pre_checkout_query_id")]
	if q == nil || q.answered {
		return nil, badRequest("QUERY_ID_INVALID")
	}
	ok := p.bool("ok")
	msg := p.str("error_message")
	if !ok && strings.TrimSpace(msg) == "" {
		return nil, badRequest("ERROR_MESSAGE_EMPTY")
	}
	if !q.open(time.Now()) {
		q.answered = true
		s.notify()
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	q.answered = true
	if !ok {
		msg = strings.TrimSpace(msg)
	} else {
		msg = ""
	}
	s.pay.answers = append(s.pay.answers, PreCheckoutAnswer{
		PreCheckoutQueryID: q.id, OK: ok, ErrorMessage: msg,
		ChatID: q.key.chatID, UserID: q.userID, InvoiceMessageID: q.key.messageID,
		InvoicePayload: q.invoice.Payload, TotalAmount: q.invoice.TotalAmount,
	})
	if ok {
		s.paid(q)
	}
	s.notify()
	return true, nil
}

// paid records the payment of an ok answer and queues its
// successful_payment message; s.mu must be held.
func (s *Server) paid(q *preCheckout) {
	st := s.pay.invoices[q.key]
	st.paid, st.pending = true, nil
	s.pay.seq++
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/charge/%d", s.token, s.pay.seq))
	sp := SuccessfulPayment{
		Currency:                q.invoice.Currency,
		TotalAmount:             q.invoice.TotalAmount,
		InvoicePayload:          q.invoice.Payload,
		TelegramPaymentChargeID: "stx" + base64.RawURLEncoding.EncodeToString(sum[:18]),
		ProviderPaymentChargeID: fmt.Sprintf("%d_%d", q.userID, s.pay.seq),
	}
	c := s.chatFor(q.key.chatID, q.userID)
	m := Message{ID: c.newMessageID(), ChatID: c.wire.ID, From: q.userID, Date: now(), SuccessfulPayment: &sp}
	c.msgs = append(c.msgs, m)
	body, err := json.Marshal(s.wireOf(c, &m))
	raw := json.RawMessage(body)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: marshal successful_payment: %v", err))
	}
	pm := &payment{raw: raw, Payment: Payment{
		ChatID: q.key.chatID, UserID: q.userID, InvoiceMessageID: q.key.messageID, MessageID: m.ID,
		SuccessfulPayment: sp,
	}}
	pm.UpdateID = s.enqueue("message", raw)
	s.pay.payments = append(s.pay.payments, pm)
	s.pay.byCharge[sp.TelegramPaymentChargeID] = pm
}

// PreCheckoutAnswers returns the answerPreCheckoutQuery calls the fake
// accepted, in order; refused ones (late, unknown or repeated queries) are
// not in it.
func (s *Server) PreCheckoutAnswers() []PreCheckoutAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pay.answers)
}

// Payments returns the payments made, in order: each the successful_payment
// the bot was sent, with its unique telegram_payment_charge_id.
func (s *Server) Payments() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Payment, len(s.pay.payments))
	for i, pm := range s.pay.payments {
		out[i] = pm.Payment
	}
	return out
}

// ReplayPayment queues the message update of a payment again, the same
// message with the same charge ID under a new update_id, as if Telegram
// delivered it twice, and returns the new update_id. The bot must not
// sell twice.
func (s *Server) ReplayPayment(telegramPaymentChargeID string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pm := s.pay.byCharge[telegramPaymentChargeID]
	if pm == nil {
		return 0, fmt.Errorf("replay payment %q: no such charge", telegramPaymentChargeID)
	}
	return s.enqueue("message", pm.raw), nil
}

func (s *Server) refundStarPayment(_ *http.Request, p *params) (any, *apiError) {
	userID, err := p.int64("user_id")
	if err != nil {
		return nil, err
	}
	if userID <= 0 {
		return nil, badRequest("USER_ID_INVALID")
	}
	charge := strings.TrimSpace(p.str("telegram_payment_charge_id"))
	if charge == "" {
		return nil, badRequest("CHARGE_ID_EMPTY")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pm := s.pay.byCharge[charge]
	if pm == nil || pm.UserID != userID {
		return nil, badRequest("CHARGE_NOT_FOUND")
	}
	if pm.refunded {
		return nil, badRequest("CHARGE_ALREADY_REFUNDED")
	}
	pm.refunded = true
	s.pay.refunds = append(s.pay.refunds, Refund{
		UserID: userID, TelegramPaymentChargeID: charge,
		TotalAmount: pm.TotalAmount, InvoicePayload: pm.InvoicePayload,
	})
	s.notify()
	return true, nil
}

// Refunds returns the refundStarPayment calls that succeeded, in order.
func (s *Server) Refunds() []Refund {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pay.refunds)
}
