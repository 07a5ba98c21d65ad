package recording

import (
	"testing"
	"time"
)

// A time read back from the index is the microsecond it was written as,
// never a nanosecond before the frame it marks.
func TestSecondsDurationRoundsToMicrosecond(t *testing.T) {
	for _, us := range []int64{0, 1, 579650, 999999, 1000000, 3600000001} {
		d := time.Duration(us) * time.Microsecond
		if got := SecondsOf(d).Duration(); got != d {
			t.Errorf("SecondsOf(%v).Duration() = %v (%d ns)", d, got, int64(got))
		}
	}
}
