package flows

import "context"

// RetrySupport is retrySupport, for the tests of package flows_test (Run
// calls it in production).
func (e *Engine) RetrySupport(ctx context.Context) error { return e.retrySupport(ctx) }
