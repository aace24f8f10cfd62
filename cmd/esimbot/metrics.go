package main

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
)

// metrics are the program's Prometheus metrics, on a registry of its own.
type metrics struct {
	reg            *prometheus.Registry
	updates        *prometheus.CounterVec
	updateSeconds  *prometheus.HistogramVec
	sales          *prometheus.CounterVec
	resellerCalls  *prometheus.CounterVec
	resellerTiming *prometheus.HistogramVec
	sendErrors     *prometheus.CounterVec
	wallet         prometheus.Gauge
	retries        *prometheus.CounterVec
	pay            payMetrics
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esimbot_updates_total", Help: "Telegram updates handled, by kind.",
		}, []string{"kind"}),
		updateSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "esimbot_update_duration_seconds", Help: "Time to handle one update, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"kind"}),
		sales: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esimbot_sales_total", Help: "Sales that entered a state, by state and kind.",
		}, []string{"state", "kind"}),
		resellerCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esimbot_reseller_requests_total", Help: "Reseller API requests, by endpoint, method and status (0: no answer).",
		}, []string{"endpoint", "method", "status"}),
		resellerTiming: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "esimbot_reseller_request_duration_seconds", Help: "Reseller API request latency, by endpoint and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"endpoint", "method"}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esimbot_telegram_send_errors_total", Help: "Telegram Bot API calls that failed for good, by method.",
		}, []string{"method"}),
		wallet: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esimbot_wallet_balance", Help: "The reseller wallet balance last reported by the API, in its currency.",
		}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esimbot_delivery_retries_total", Help: "Delivery attempts that failed and were scheduled again, by part (activation, text, photo).",
		}, []string{"part"}),
	}
	m.reg.MustRegister(m.updates, m.updateSeconds, m.sales, m.resellerCalls, m.resellerTiming, m.sendErrors, m.wallet, m.retries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.pay = newPayMetrics(m.reg)
	return m
}

// UpdateHandled implements bot.Metrics.
func (m *metrics) UpdateHandled(kind string, took time.Duration) {
	m.updates.WithLabelValues(kind).Inc()
	m.updateSeconds.WithLabelValues(kind).Observe(took.Seconds())
}

// SendFailed implements bot.Metrics.
func (m *metrics) SendFailed(method string) { m.sendErrors.WithLabelValues(method).Inc() }

// SaleMoved implements flows.Observer.
func (m *metrics) SaleMoved(s flows.Sale) {
	m.sales.WithLabelValues(string(s.State), string(s.Kind)).Inc()
}

// WalletBalance implements flows.Observer.
func (m *metrics) WalletBalance(amount decimal.Decimal) { m.wallet.Set(amount.InexactFloat64()) }

// DeliveryRetried implements flows.Observer.
func (m *metrics) DeliveryRetried(part string) { m.retries.WithLabelValues(part).Inc() }

// resellerCall is the reseller client's Observe hook.
func (m *metrics) resellerCall(c reseller.CallInfo) {
	m.resellerCalls.WithLabelValues(c.Endpoint, c.Method, strconv.Itoa(c.Status)).Inc()
	m.resellerTiming.WithLabelValues(c.Endpoint, c.Method).Observe(c.Duration.Seconds())
}
