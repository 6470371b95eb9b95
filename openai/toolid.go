package openai

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[rand.IntN(len(idAlphabet))]
	}
	return string(b)
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')) {
			return false
		}
	}
	return true
}

// EncodeToolCallID builds the OpenAI tool call id for a Gemini function
// call: "call_" + core, then "_" + the thought signature in unpadded
// base64url when there is one. core is "g" + geminiID when Gemini gave the
// call an alphanumeric id of at most 64 characters, else "r" + 20 random
// alphanumerics. signature is the thoughtSignature as Gemini sends it
// (standard base64); one that is not valid base64 is dropped.
func EncodeToolCallID(geminiID, signature string) string {
	var b strings.Builder
	b.WriteString("call_")
	if geminiID != "" && len(geminiID) <= 64 && isAlnum(geminiID) {
		b.WriteByte('g')
		b.WriteString(geminiID)
	} else {
		b.WriteByte('r')
		b.WriteString(randomAlnum(20))
	}
	if signature != "" {
		if raw, err := base64.StdEncoding.DecodeString(signature); err == nil && len(raw) > 0 {
			b.WriteByte('_')
			b.WriteString(base64.RawURLEncoding.EncodeToString(raw))
		}
	}
	return b.String()
}

// DecodeToolCallID reverses EncodeToolCallID: it returns Gemini's own
// function-call id ("" when the call had none) and the thought signature
// in standard base64 ("" when none). Ids in any other form give "", "".
func DecodeToolCallID(id string) (geminiID, signature string) {
	rest, ok := strings.CutPrefix(id, "call_")
	if !ok || rest == "" {
		return "", ""
	}
	core, sig, _ := strings.Cut(rest, "_")
	if len(core) < 2 || !isAlnum(core) {
		return "", ""
	}
	if core[0] == 'g' {
		geminiID = core[1:]
	} else if core[0] != 'r' {
		return "", ""
	}
	if sig != "" {
		if raw, err := base64.RawURLEncoding.DecodeString(sig); err == nil && len(raw) > 0 {
			signature = base64.StdEncoding.EncodeToString(raw)
		}
	}
	return geminiID, signature
}
