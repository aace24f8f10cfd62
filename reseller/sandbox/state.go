package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"time"

	"github.com/shopspring/decimal"
)

// stateFormat is the version of the snapshot's JSON form.
const stateFormat = 1

// savedState is the JSON form of a snapshot: what a sale or a top-up
// changes. The catalog follows from the seed, the settings from Options;
// tokens, faults and call counts are not kept.
type savedState struct {
	Format int   `json:"format"`
	Seed   int64 `json:"seed"`
	// Sequence is the state of the generator of IDs and ICCIDs, so that a
	// restored sandbox continues the sequence instead of starting it again.
	Sequence      []byte          `json:"sequence"`
	GeneratedRefs int             `json:"generated_refs"`
	Wallet        decimal.Decimal `json:"wallet"`
	Orders        []savedOrder    `json:"orders,omitempty"` // oldest first; none in a Change's Head
}

// Change is what one sale or top-up changed, handed to Options.OnChange
// so that a program can keep the sandbox's state one sale at a time
// instead of rewriting all of it: the order the sale added, and the head
// of the state (the wallet and the sequences of IDs, ICCIDs and
// references), each as JSON. RestoreChanges takes the last Head back with
// every Order, oldest first.
type Change struct {
	// Seq is the order's place among all the orders, from 0, oldest first.
	Seq int
	// Order is the new order.
	Order []byte
	// Head is the state without its orders, as it is after the sale.
	Head []byte
}

// savedOrder is an Order with JSON names of its own, so that renaming a
// field of Order does not change the saved form unnoticed. Its fields are
// Order's, in Order's order: the two types convert into each other.
type savedOrder struct {
	ID                  string          `json:"order_id"`
	Reference           string          `json:"order_reference"`
	BundleCode          string          `json:"bundle_code"`
	BundleMarketingName string          `json:"bundle_marketing_name"`
	ICCID               string          `json:"iccid"`
	ProfileType         string          `json:"profile_type"`
	Email               string          `json:"email,omitempty"`
	Name                string          `json:"name,omitempty"`
	WhatsApp            string          `json:"whatsapp_number,omitempty"`
	Amount              decimal.Decimal `json:"amount"`
	Currency            string          `json:"currency"`
	CreatedAt           time.Time       `json:"created_at"`
	ExpiresAt           time.Time       `json:"expires_at"`
	ReadyAt             time.Time       `json:"ready_at"`
	TopUpOf             string          `json:"topup_of,omitempty"`
	SMDPAddress         string          `json:"smdp_address"`
	MatchingID          string          `json:"matching_id"`
	ActivationCode      string          `json:"activation_code"`
	PlanUID             string          `json:"plan_uid"`
	Status              string          `json:"-"` // computed from the clock
}

// Snapshot returns the sandbox's state: its orders and profiles, the
// wallet, and the sequences of IDs, ICCIDs and generated references, as
// JSON. Restore puts it back into a new Server, after a restart for
// example. The catalog is not in it (it follows from the seed, and
// SetRetailPrice, SetBundlePrice, SetBundleAvailable and the control
// endpoints are not kept: they try a change during one run), nor the
// tokens, the faults or the call counts.
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshot()
}

// snapshot encodes the state. The caller holds s.mu.
func (s *Server) snapshot() ([]byte, error) {
	st, err := s.head()
	if err != nil {
		return nil, fmt.Errorf("sandbox: snapshot: %w", err)
	}
	st.Orders = make([]savedOrder, len(s.orders))
	for i, o := range s.orders {
		st.Orders[i] = saved(o)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("sandbox: snapshot: %w", err)
	}
	return b, nil
}

// SnapshotChanges is Snapshot in the form RestoreChanges takes: the head
// of the state and its orders, oldest first, each as JSON.
func (s *Server) SnapshotChanges() (head []byte, orders [][]byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.head()
	if err == nil {
		head, err = json.Marshal(st)
	}
	for _, o := range s.orders {
		if err != nil {
			break
		}
		var b []byte
		b, err = json.Marshal(saved(o))
		orders = append(orders, b)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: snapshot: %w", err)
	}
	return head, orders, nil
}

// head is the state without its orders. The caller holds s.mu.
func (s *Server) head() (savedState, error) {
	seq, err := s.ids.src.MarshalBinary()
	if err != nil {
		return savedState{}, err
	}
	return savedState{
		Format:        stateFormat,
		Seed:          s.opts.Seed,
		Sequence:      seq,
		GeneratedRefs: s.generatedRefs,
		Wallet:        s.wallet,
	}, nil
}

// saved is the saved form of o.
func saved(o *Order) savedOrder {
	so := savedOrder(*o)
	so.Status = ""
	return so
}

// Restore replaces the sandbox's orders, profiles, wallet and sequences
// with those of a snapshot taken by Snapshot (or handed to
// Options.OnChange) of a sandbox with the same seed. Orders keep their
// times, so activation and consumption go on from when they were made;
// the next sale continues the sequence of IDs and ICCIDs. Tokens are not
// in a snapshot: a restored sandbox refuses those of the one that took it
// with 401, and a client logs in again. Call it before serving; on error
// the sandbox is unchanged.
func (s *Server) Restore(state []byte) error {
	var st savedState
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("sandbox: restore: %w", err)
	}
	return s.restore(st)
}

// RestoreChanges is Restore from what Options.OnChange was handed: the
// Head of the last Change, and the Order of every Change, oldest first
// (by Seq). Call it before serving; on error the sandbox is unchanged.
func (s *Server) RestoreChanges(head []byte, orders [][]byte) error {
	var st savedState
	if err := json.Unmarshal(head, &st); err != nil {
		return fmt.Errorf("sandbox: restore: head: %w", err)
	}
	st.Orders = make([]savedOrder, len(orders))
	for i, b := range orders {
		if err := json.Unmarshal(b, &st.Orders[i]); err != nil {
			return fmt.Errorf("sandbox: restore: order %d: %w", i, err)
		}
	}
	return s.restore(st)
}

// restore puts st in place of the sandbox's state.
func (s *Server) restore(st savedState) error {
	if st.Format != stateFormat {
		return fmt.Errorf("sandbox: restore: state format %d, want %d", st.Format, stateFormat)
	}
	if st.Seed != s.opts.Seed {
		return fmt.Errorf("sandbox: restore: the state is of seed %d, this sandbox's is %d", st.Seed, s.opts.Seed)
	}
	src := new(mrand.PCG)
	if err := src.UnmarshalBinary(st.Sequence); err != nil {
		return fmt.Errorf("sandbox: restore: sequence: %w", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	orders := make([]*Order, 0, len(st.Orders))
	byID := make(map[string]*Order, len(st.Orders))
	byRef := make(map[string]*Order, len(st.Orders))
	profiles := map[string]*profile{}
	for i := range st.Orders {
		o := Order(st.Orders[i])
		b, ok := s.cat.byCode[o.BundleCode]
		switch {
		case !ok:
			return fmt.Errorf("sandbox: restore: order %s: bundle %s: %w", o.ID, o.BundleCode, ErrBundleNotFound)
		case o.ID == "" || o.Reference == "" || o.ICCID == "":
			return fmt.Errorf("sandbox: restore: order %d: %w", i, errIncomplete)
		case byID[o.ID] != nil:
			return fmt.Errorf("sandbox: restore: order ID %s twice", o.ID)
		case byRef[o.Reference] != nil:
			return fmt.Errorf("sandbox: restore: order reference %s twice", o.Reference)
		}
		p := profiles[o.ICCID]
		if p == nil {
			p = &profile{iccid: o.ICCID, profileType: o.ProfileType, base: b, matchingID: o.MatchingID}
			profiles[o.ICCID] = p
		}
		p.orders = append(p.orders, &o)
		orders = append(orders, &o)
		byID[o.ID], byRef[o.Reference] = &o, &o
	}
	s.orders, s.ordersByID, s.ordersByRef, s.profiles = orders, byID, byRef, profiles
	s.wallet = st.Wallet
	s.generatedRefs = st.GeneratedRefs
	s.ids = &idGen{src: src, rng: mrand.New(src)}
	return nil
}

// change is the Change of the sale of o, the last of s.orders. The caller
// holds s.mu.
func (s *Server) change(o *Order) (Change, error) {
	st, err := s.head()
	if err != nil {
		return Change{}, err
	}
	head, err := json.Marshal(st)
	if err != nil {
		return Change{}, err
	}
	order, err := json.Marshal(saved(o))
	if err != nil {
		return Change{}, err
	}
	return Change{Seq: len(s.orders) - 1, Order: order, Head: head}, nil
}

// errIncomplete reports a saved order without an ID, reference or ICCID.
var errIncomplete = errors.New("no ID, reference or ICCID")

// changed hands the sale of o to Options.OnChange. If it fails, undo
// reverts the sale and the answer is a 500. The caller holds s.mu.
func (s *Server) changed(o *Order, undo func()) *reply {
	if s.opts.OnChange == nil {
		return nil
	}
	c, err := s.change(o)
	if err == nil {
		err = s.opts.OnChange(c)
	}
	if err != nil {
		undo()
		r := errorReply(http.StatusInternalServerError, "Internal Server Error", "The sale could not be recorded")
		return &r
	}
	return nil
}
