package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/esimbot/esimbot/flows"
)

// payMetrics count invoices, payments and refunds (issue 10).
type payMetrics struct {
	invoices prometheus.Counter
	payments prometheus.Counter
	stars    prometheus.Counter
	refunds  *prometheus.CounterVec
}

var _ flows.PaymentObserver = (*metrics)(nil)

func newPayMetrics(reg *prometheus.Registry) payMetrics {
	p := payMetrics{
		invoices: prometheus.NewCounter(prometheus.CounterOpts{Name: "esimbot_invoices_total", Help: "Invoices in Telegram Stars sent."}),
		payments: prometheus.NewCounter(prometheus.CounterOpts{Name: "esimbot_payments_total", Help: "Payments received (each charge once)."}),
		stars:    prometheus.NewCounter(prometheus.CounterOpts{Name: "esimbot_stars_received_total", Help: "Telegram Stars received in payments."}),
		refunds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esimbot_refunds_total", Help: "Refund calls, by outcome (done, failed).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(p.invoices, p.payments, p.stars, p.refunds)
	return p
}

// InvoiceSent counts an invoice sent.
func (m *metrics) InvoiceSent() { m.pay.invoices.Inc() }

// PaymentReceived counts a new payment and its Stars.
func (m *metrics) PaymentReceived(stars int64) {
	m.pay.payments.Inc()
	m.pay.stars.Add(float64(stars))
}

// Refunded counts a refund call by outcome.
func (m *metrics) Refunded(outcome string) { m.pay.refunds.WithLabelValues(outcome).Inc() }
