package messaging

import (
	"strings"
	"testing"
)

// benchBody is a typical chat message: a few sentences, a link, some
// emphasis, a line break.
var benchBody = strings.Repeat("Are we still on for *Saturday*? The route is at https://example.com/crag/north-face, ", 3) +
	"\nbring `rope` and **snacks**."

// BenchmarkRender measures what rendering adds to each send and edit.
func BenchmarkRender(b *testing.B) {
	f := newFormatter()
	for _, format := range []string{FormatPlain, FormatMarkdown} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if f.render(format, benchBody) == "" {
					b.Fatal("empty")
				}
			}
		})
	}
}
