package reseller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// getList reads a list answer in any of its shapes.
func getList[T any](ctx context.Context, c *Client, path string, q url.Values, key string) (Page[T], error) {
	req := request{method: http.MethodGet, path: path, query: q}
	resp, err := c.do(ctx, req)
	if err != nil {
		return Page[T]{}, err
	}
	p, err := decodeList[T](resp.body, key)
	if err != nil {
		return Page[T]{}, fmt.Errorf("reseller: %s %s: %w: %w", req.method, req.path, ErrBadResponse, err)
	}
	p.read = len(p.Items)
	if p.Items = checkItems(p.Items); len(p.Items) < p.read {
		c.log.WarnContext(ctx, "reseller: entries with amounts beyond reason left out", "path", req.path, "left_out", p.read-len(p.Items))
	}
	return p, nil
}

// maxPages bounds allPages against an API that never stops paging.
const maxPages = 200

// allPages follows pages until a short page, the announced total, or an
// empty page.
func allPages[T any](get func(number, size int) (Page[T], error), size int) ([]T, error) {
	if size <= 0 {
		size = 100
	}
	var all []T
	for n := 1; n <= maxPages; n++ {
		p, err := get(n, size)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if max(len(p.Items), p.read) < size || (p.Total >= 0 && len(all) >= p.Total) {
			break
		}
	}
	return all, nil
}

// listKeys are the envelope keys, after the endpoint's own, that may hold a list.
var listKeys = []string{"data", "items", "results", "result", "list", "records"}

// decodeList reads a list sent as a bare array, inside an envelope object
// (under the endpoint's key or a generic one, possibly nested once), as
// null, or as nothing (204).
func decodeList[T any](body []byte, key string) (Page[T], error) {
	body = bytes.TrimSpace(body)
	page := Page[T]{Total: -1}
	switch {
	case len(body) == 0 || bytes.Equal(body, []byte("null")):
		page.Total = 0
		return page, nil
	case body[0] == '[':
		err := json.Unmarshal(body, &page.Items)
		return page, err
	case body[0] != '{':
		return page, fmt.Errorf("want a list, got %s", truncate(body))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return page, err
	}
	page.Total = total(obj)
	if p, ok, err := underListKey[T](obj, key, page.Total); ok {
		return p, err
	}
	return singleArray[T](obj, key, page)
}

// underListKey reads the list of an envelope under key or one of listKeys,
// the first that holds null, an array or an envelope with a list; false when
// none does. envTotal is the envelope's total, or -1.
func underListKey[T any](obj map[string]json.RawMessage, key string, envTotal int) (Page[T], bool, error) {
	for _, k := range append([]string{key}, listKeys...) {
		raw, found := lookup(obj, k)
		if !found {
			continue
		}
		page := Page[T]{Total: envTotal}
		switch raw = bytes.TrimSpace(raw); {
		case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
			page.Total = max(page.Total, 0)
			return page, true, nil
		case raw[0] == '[':
			err := json.Unmarshal(raw, &page.Items)
			return page, true, err
		case raw[0] == '{':
			if inner, err := decodeList[T](raw, key); err == nil {
				if inner.Total < 0 {
					inner.Total = envTotal
				}
				return inner, true, nil
			}
		}
	}
	return Page[T]{}, false, nil
}

// singleArray reads the list of an envelope that has no list key into
// page: its only array, or none when the envelope's total is 0.
func singleArray[T any](obj map[string]json.RawMessage, key string, page Page[T]) (Page[T], error) {
	var arrays []string
	for k, raw := range obj {
		if r := bytes.TrimSpace(raw); len(r) > 0 && r[0] == '[' {
			arrays = append(arrays, k)
		}
	}
	if len(arrays) == 1 {
		err := json.Unmarshal(obj[arrays[0]], &page.Items)
		return page, err
	}
	if len(arrays) == 0 && page.Total == 0 {
		return page, nil
	}
	slices.Sort(arrays)
	return page, fmt.Errorf("want a list under %q, found keys %v", key, arrays)
}

// lookup finds a key case-insensitively.
func lookup(obj map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// total reads a total count from an envelope: total_*_count, total,
// total_count or count.
func total(obj map[string]json.RawMessage) int {
	for k, raw := range obj {
		lk := strings.ToLower(k)
		if lk == "total" || lk == "count" || (strings.HasPrefix(lk, "total") && strings.HasSuffix(lk, "count")) {
			var n FlexInt
			if json.Unmarshal(raw, &n) == nil {
				return int(n)
			}
		}
	}
	return -1
}

// unwrapObject returns body, or the object under one of the wrapper keys
// when body does not itself have the marker key.
func unwrapObject(body []byte, marker string, wrappers ...string) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return body
	}
	if _, ok := lookup(obj, marker); ok {
		return body
	}
	for _, w := range wrappers {
		if raw, ok := lookup(obj, w); ok {
			if r := bytes.TrimSpace(raw); len(r) > 0 && r[0] == '{' {
				return r
			}
		}
	}
	return body
}
