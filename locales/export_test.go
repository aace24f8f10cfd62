package locales

// NewFromFS loads the catalogs of a test file system.
var NewFromFS = newFromFS
