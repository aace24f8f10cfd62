package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
)

var (
	typeTime    = reflect.TypeFor[time.Time]()
	typeDecimal = reflect.TypeFor[decimal.Decimal]()
)

// fill sets every exported field reachable from v to a random value, most
// of them not empty, so that a copy that forgets a field shows. Times are
// in various zones, some with a monotonic reading, some zero; a few
// strings are not UTF-8 (which the encoding changes).
func fill(r *rand.Rand, v reflect.Value) {
	if r.IntN(8) == 0 {
		v.SetZero() // empty strings, slices and decimals, nil pointers, zero times
		if v.Type() == typeTime && r.IntN(2) == 0 {
			v.Set(reflect.ValueOf(time.Time{}.In(time.FixedZone("", 3600))))
		}
		if v.Kind() == reflect.Slice && r.IntN(2) == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 0, r.IntN(2)))
		}
		return
	}
	switch {
	case v.Type() == typeTime:
		zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 2*3600), time.FixedZone("", -(5*3600 + 30*60)), time.FixedZone("X", 0), time.FixedZone("", 3600+7)}
		t := time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
		if r.IntN(2) == 0 {
			t = time.Now() // with a monotonic reading
		}
		v.Set(reflect.ValueOf(t))
		return
	case v.Type() == typeDecimal:
		v.Set(reflect.ValueOf(decimal.New(r.Int64N(1e6)-5e5, -r.Int32N(4)+r.Int32N(3))))
		return
	case v.Kind() == reflect.String && r.IntN(20) == 0:
		v.SetString("bad \xff UTF-8")
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i))
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(r, v.Elem())
	case reflect.Slice:
		n := 1 + r.IntN(3)
		v.Set(reflect.MakeSlice(v.Type(), n, n+r.IntN(2)))
		for i := range v.Len() {
			fill(r, v.Index(i))
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d\u00e9", r.IntN(1000)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1 + r.Int64N(100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1 + r.Uint64N(100))
	default:
		panic("fill: no random " + v.Type().String())
	}
}

// scramble changes everything a value reaches through slices and pointers:
// what a copy that shared memory with another would change in it too.
func scramble(v reflect.Value) {
	if v.Type() == typeTime || v.Type() == typeDecimal {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				scramble(v.Field(i))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			scramble(v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			scramble(v.Index(i))
		}
	case reflect.String:
		v.SetString("scrambled")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1000)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1000)
	}
}

// random returns a random T, every field set.
func random[T any](r *rand.Rand) T {
	var v T
	fill(r, reflect.ValueOf(&v).Elem())
	return v
}

// decoded returns the JSON decoding of the stored value of key in bucket.
func decoded[T any](t *testing.T, s *Store, bucket, key []byte) T {
	t.Helper()
	var v T
	if err := s.db.View(func(tx *bolt.Tx) error {
		_, err := get(tx, bucket, key, &v)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

// sameAsDecoded checks that got is the decoding of the stored record
// (times, decimals and all), then scrambles got and reads the record again
// with read, which must still give the decoding: got shared nothing with
// the memo.
func sameAsDecoded[T any](t *testing.T, s *Store, bucket, key []byte, got T, read func() T) {
	t.Helper()
	want := decoded[T](t, s, bucket, key)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("returned value is not what a decoding gives:\n%s", cmp.Diff(want, got))
	}
	scramble(reflect.ValueOf(&got).Elem())
	if again := read(); !reflect.DeepEqual(again, want) {
		t.Fatalf("read after changing a returned value is not what a decoding gives:\n%s", cmp.Diff(want, again))
	}
}

// TestMemoReadsAsDecoded writes random records (most fields set) and
// checks that what writes and reads return, from the memo or not, is
// exactly what decoding the stored bytes gives, and shares nothing with
// the memo: with the machine's local zone, and with one that is not UTC
// and has summer time (time.Parse gives times in it).
func TestMemoReadsAsDecoded(t *testing.T) {
	t.Run("local", memoReadsAsDecoded)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip(err)
	}
	was := time.Local
	time.Local = paris
	defer func() { time.Local = was }()
	t.Run("paris", memoReadsAsDecoded)
}

func memoReadsAsDecoded(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "esimbot.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(1, 2))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		u := random[flows.User](r)
		u.ID = flows.UserID(i + 1)
		must(s.SaveUser(ctx, u))
		readUser := func() flows.User { got, err := s.User(ctx, u.ID); must(err); return got }
		sameAsDecoded(t, s, bucketUsers, idKey(u.ID), readUser(), readUser) // decoded, then copied
		sameAsDecoded(t, s, bucketUsers, idKey(u.ID), readUser(), readUser)

		c := random[flows.Conversation](r)
		c.Chat, c.Version = flows.ChatID(i+1), 0
		saved, err := s.SaveConversation(ctx, c)
		must(err)
		readConv := func() flows.Conversation { got, err := s.Conversation(ctx, c.Chat); must(err); return got }
		sameAsDecoded(t, s, bucketConversations, idKey(c.Chat), saved, readConv)
		sameAsDecoded(t, s, bucketConversations, idKey(c.Chat), readConv(), readConv)

		sale := random[flows.Sale](r)
		sale.Ref, sale.State, sale.Chat = fmt.Sprintf("R%d", i), flows.SaleConfirmed, c.Chat
		c = saved
		_, err = s.CreateSale(ctx, sale, c)
		must(err)
		readSale := func() flows.Sale { got, err := s.Sale(ctx, sale.Ref); must(err); return got }
		passed := sale
		sameAsDecoded(t, s, bucketSales, []byte(sale.Ref), readSale(), readSale)
		scramble(reflect.ValueOf(&passed).Elem()) // what the caller of CreateSale may change
		sameAsDecoded(t, s, bucketSales, []byte(sale.Ref), readSale(), readSale)
		for range 2 {
			next := random[flows.Sale](r)
			next.Ref, next.State = sale.Ref, flows.SaleConfirmed
			var kept *flows.Sale
			got, err := s.UpdateSale(ctx, sale.Ref, func(p *flows.Sale) error { *p, kept = next, p; return nil })
			must(err)
			scramble(reflect.ValueOf(kept).Elem()) // what fn may keep
			sameAsDecoded(t, s, bucketSales, []byte(sale.Ref), got, readSale)
			sameAsDecoded(t, s, bucketSales, []byte(sale.Ref), readSale(), readSale)
		}
		byUser, err := s.SalesByUser(ctx, readSale().User)
		must(err)
		for _, listed := range byUser {
			if listed.Ref == sale.Ref {
				sameAsDecoded(t, s, bucketSales, []byte(sale.Ref), listed, readSale)
			}
		}
	}
}
