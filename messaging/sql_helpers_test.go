package messaging

import "testing"

func TestNumberArgs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a = ? AND b = ?", "a = ?1 AND b = ?2"},
		{"x LIKE ?1x OR y LIKE ?1x AND z = ?", "x LIKE ?1 OR y LIKE ?1 AND z = ?2"},
		{"? ?2x ? ?2x", "?1 ?2 ?3 ?2"},
	} {
		if got := numberArgs(tc.in); got != tc.want {
			t.Errorf("numberArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEscapeLike(t *testing.T) {
	if got := escapeLike(`50%_off\`); got != `50\%\_off\\` {
		t.Errorf("escapeLike = %q", got)
	}
}
