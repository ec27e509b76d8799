package alpha

import "testing"

func TestAlpha(t *testing.T) {
	t.Run("a case", func(t *testing.T) {})
}

func FuzzAlpha(f *testing.F) {}

func BenchmarkAlpha(b *testing.B) {}
