package alpha

// TestHelper is not in a _test.go file, so it is not a test.
func TestHelper() {}
