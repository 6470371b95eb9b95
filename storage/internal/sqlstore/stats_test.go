package sqlstore

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStatSegments checks that the signed segments count every minute of
// [from, to) once and no other minute, and that whole days and hours
// less their tail are used when cheaper.
func TestStatSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	base := int64(1_750_000_000_000) / dayMS * dayMS
	negs := 0
	for range 3000 {
		from := base + r.Int64N(5*dayMS)/minuteMS*minuteMS
		to := from + r.Int64N(3*dayMS)/minuteMS*minuteMS
		now := from + r.Int64N(4*dayMS)
		net := map[int64]int{}
		segs := statSegments(from, to, now)
		for _, sg := range segs {
			require.Equal(t, sg.lo, floorTo(sg.lo, sg.span))
			require.Equal(t, sg.hi, floorTo(sg.hi, sg.span))
			d := 1
			if sg.neg {
				d = -1
				negs++
			}
			for m := sg.lo; m < sg.hi; m += minuteMS {
				net[m] += d
			}
		}
		for m, n := range net {
			want := 0
			if m >= from && m < to {
				want = 1
			}
			require.Equal(t, want, n, "minute %d of [%d, %d) now %d: %+v", m, from, to, now, segs)
		}
		require.Len(t, net, max(0, int(to-from)/int(minuteMS))+countOutside(net, from, to))
	}
	require.NotZero(t, negs, "subtracted segments used")
	// A range ending now reads its last day as one bucket.
	to := base + 15*hourMS + 43*minuteMS
	segs := statSegments(to-dayMS, to, to)
	require.Contains(t, segs, segment{span: dayMS, lo: base, hi: base + dayMS})
}

func countOutside(net map[int64]int, from, to int64) int {
	n := 0
	for m := range net {
		if m < from || m >= to {
			n++
		}
	}
	return n
}
