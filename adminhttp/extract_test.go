package adminhttp

import (
	"regexp"
	"strings"
	"testing"
)

var keyRE = regexp.MustCompile(`^AIza[0-9A-Za-z_-]{35}$`)

func TestExtractKeys(t *testing.T) {
	k1 := "AIzaSyExampleKey000000000000000000000001"[:39]
	k2 := "AIzaSy-Example_Key0000000000000000000002"[:39]
	cases := []struct {
		text               string
		keys               []string
		repeats, malformed int
	}{
		{"", nil, 0, 0},
		{k1, []string{k1}, 0, 0},
		{`["` + k1 + `","` + k2 + `"]`, []string{k1, k2}, 0, 0},
		{k1 + "\n" + k1 + " " + k2 + "," + k1, []string{k1, k2}, 2, 0},
		{"API_KEYS=" + k1 + ";", []string{k1}, 0, 0},
		{k1 + "x", nil, 0, 1},
		{"AIza", nil, 0, 1},
		{"xAIza" + k1[4:], nil, 0, 0},
		{"AIzaSyÄ" + k1[7:], nil, 0, 1},
	}
	for _, c := range cases {
		got := ExtractKeys(c.text)
		if strings.Join(got.Keys, ",") != strings.Join(c.keys, ",") || got.Repeats != c.repeats || got.Malformed != c.malformed {
			t.Errorf("ExtractKeys(%q) = %+v, want keys %v repeats %d malformed %d", c.text, got, c.keys, c.repeats, c.malformed)
		}
	}
}

func FuzzExtractKeys(f *testing.F) {
	f.Add("AIzaSyExampleKey00000000000000000000001, AIzaTooShort")
	f.Add(`["AIzaSyExampleKey00000000000000000000001","AIzaSyExampleKey00000000000000000000001"]`)
	f.Add("AIzaAIzaAIza--__ ÄAIza")
	f.Fuzz(func(t *testing.T, text string) {
		got := ExtractKeys(text)
		seen := map[string]bool{}
		for _, k := range got.Keys {
			if !keyRE.MatchString(k) {
				t.Fatalf("extracted %q, not a key", k)
			}
			if !strings.Contains(text, k) {
				t.Fatalf("extracted %q, not in the text", k)
			}
			if seen[k] {
				t.Fatalf("extracted %q twice", k)
			}
			seen[k] = true
		}
		if got.Repeats < 0 || got.Malformed < 0 || got.Malformed+len(got.Keys)+got.Repeats > strings.Count(text, "AIza") {
			t.Fatalf("counts %+v for %d occurrences of AIza", got, strings.Count(text, "AIza"))
		}
		// Extraction is stable: the keys found, joined, give themselves.
		again := ExtractKeys(strings.Join(got.Keys, "\n"))
		if strings.Join(again.Keys, ",") != strings.Join(got.Keys, ",") || again.Repeats != 0 || again.Malformed != 0 {
			t.Fatalf("re-extraction differs: %+v vs %+v", again, got)
		}
	})
}
