package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
)

// Request helpers shared by the handlers, which live in one file per
// resource: auth_handlers.go, catalog_handlers.go, profile_handlers.go,
// order_handlers.go and sale_handlers.go.

// decodeBody reads a JSON request body into v.
func decodeBody(r *http.Request, v any) *reply {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		return badRequest("Invalid JSON body")
	}
	return nil
}
