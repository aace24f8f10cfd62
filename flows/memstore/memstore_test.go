package memstore_test

import (
	"testing"

	"github.com/esimbot/esimbot/flows/memstore"
	"github.com/esimbot/esimbot/flows/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.StoreUnderTest { return memstore.New() })
}
