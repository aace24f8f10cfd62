package reseller

import (
	"fmt"
	"strings"
)

// Paths are the endpoint paths, relative to the base URL (which carries the
// /api/v1 or /api/v0 prefix), and the names of the date query parameters.
// A zero field takes the default.
type Paths struct {
	// Login is POST /Agent/login.
	Login string
	// Refresh is POST /Token/Refresh.
	Refresh string
	// Bundles is GET /Bundles.
	Bundles string
	// Networks is GET /Bundles/Networks.
	Networks string
	// Assign is the sale, POST /Bundle.
	Assign string
	// Orders is GET /Orders.
	Orders string
	// Consumption is GET /Profile/Consumption.
	Consumption string
	// Countries is GET /Countries.
	Countries string
	// Regions is GET /Regions.
	Regions string
	// TopupBundles is GET /v2/Bundles/Topup.
	TopupBundles string
	// Topup is the top-up purchase, POST /Bundles/Topup.
	Topup string
	// FromDateParam and ToDateParam name the date filters of GET /Orders.
	FromDateParam, ToDateParam string
}

// DefaultPaths returns the paths of the API document. The top-up purchase,
// which the document does not name, takes the path of the platform's
// published specification.
func DefaultPaths() Paths {
	return Paths{
		Login:         "/Agent/login",
		Refresh:       "/Token/Refresh",
		Bundles:       "/Bundles",
		Networks:      "/Bundles/Networks",
		Assign:        "/Bundle",
		Orders:        "/Orders",
		Consumption:   "/Profile/Consumption",
		Countries:     "/Countries",
		Regions:       "/Regions",
		TopupBundles:  "/v2/Bundles/Topup",
		Topup:         "/Bundles/Topup",
		FromDateParam: "from_date",
		ToDateParam:   "to_date",
	}
}

// LegacyPaths returns the older naming seen on some deployments of the
// platform: POST /Bundles to assign, GET /Orders/Consumption,
// GET /AvailableCountries, GET /AvailableRegions and startDate/endDate.
func LegacyPaths() Paths {
	p := DefaultPaths()
	p.Assign = "/Bundles"
	p.Consumption = "/Orders/Consumption"
	p.Countries = "/AvailableCountries"
	p.Regions = "/AvailableRegions"
	p.FromDateParam = "startDate"
	p.ToDateParam = "endDate"
	return p
}

// PathsPreset returns the preset named "default" (or "") or "legacy".
func PathsPreset(name string) (Paths, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "default", "v1", "v0":
		return DefaultPaths(), nil
	case "legacy":
		return LegacyPaths(), nil
	}
	return Paths{}, fmt.Errorf("reseller: unknown paths preset %q (want default or legacy)", name)
}

// withDefaults fills the zero fields from DefaultPaths and makes every
// path start with a slash.
func (p Paths) withDefaults() Paths {
	d := DefaultPaths()
	fields := []struct{ v, def *string }{
		{&p.Login, &d.Login}, {&p.Refresh, &d.Refresh}, {&p.Bundles, &d.Bundles},
		{&p.Networks, &d.Networks}, {&p.Assign, &d.Assign}, {&p.Orders, &d.Orders},
		{&p.Consumption, &d.Consumption}, {&p.Countries, &d.Countries}, {&p.Regions, &d.Regions},
		{&p.TopupBundles, &d.TopupBundles}, {&p.Topup, &d.Topup},
		{&p.FromDateParam, &d.FromDateParam}, {&p.ToDateParam, &d.ToDateParam},
	}
	for i, f := range fields {
		if strings.TrimSpace(*f.v) == "" {
			*f.v = *f.def
		}
		if i < len(fields)-2 && !strings.HasPrefix(*f.v, "/") {
			*f.v = "/" + *f.v
		}
	}
	return p
}
