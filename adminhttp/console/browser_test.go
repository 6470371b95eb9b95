package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// tab drives one browser tab against a gateway.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newTab(t *testing.T, base string) *tab {
	return &tab{t: t, ctx: newBrowser(t), base: base}
}

// do runs actions, failing the test on error.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

// eval runs JavaScript (awaiting a promise result) and decodes its value.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, "evaluating %s", expr)
	return v
}

// js runs JavaScript for its effect.
func (b *tab) js(expr string) {
	b.t.Helper()
	eval[chromedp.Void](b, expr)
}

// wait polls a JavaScript expression until it is truthy, across page
// loads.
func (b *tab) wait(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(25 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithDeadline(b.ctx, deadline)
		var ok bool
		ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(40 * time.Millisecond)
	}
	body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 3000) : ''`))
	loc, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.href`))
	b.t.Fatalf("waiting for %s (%s): %v\nat %s, page text:\n%s", what, expr, err, loc, body)
}

// open navigates to path and waits for the page's data (body[data-ready-…]).
func (b *tab) open(path, ready string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
	if ready != "" {
		b.wait(path+" ready", `document.body && document.body.hasAttribute('data-ready-`+ready+`')`)
	}
}

// click clicks the element matching a CSS selector.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

// setValue sets a field's value and fires input and change, as typing
// would.
func (b *tab) setValue(sel, v string) {
	b.t.Helper()
	b.js(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, v))
}

// text returns the text of the first element matching sel ("" if none).
func (b *tab) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel))
}

// waitToast waits for a toast containing s.
func (b *tab) waitToast(s string) {
	b.t.Helper()
	b.wait("toast "+s, fmt.Sprintf(`Array.from(document.querySelectorAll('#toasts .toast')).some(n => n.textContent.includes(%q))`, s))
}

// shots saves a screenshot of the current page at 1280×800 (the
// viewport) and of the whole page 390 pixels wide (a phone).
func (b *tab) shots(name string) {
	b.t.Helper()
	dir := screenshotDir(b.t)
	b.js(`document.querySelectorAll('#toasts .toast').forEach(n => n.remove()); window.scrollTo(0, 0)`)
	buf, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	require.NoError(b.t, err)
	require.NoError(b.t, os.WriteFile(filepath.Join(dir, name+"-1280x800.png"), buf, 0o644))
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait), chromedp.Sleep(250*time.Millisecond))
	overflow := eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`)
	if overflow > 0 {
		b.t.Errorf("%s: the page is %d px wider than a 390 px phone screen", name, overflow)
	}
	buf, err = chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	require.NoError(b.t, err)
	require.NoError(b.t, os.WriteFile(filepath.Join(dir, name+"-390.png"), buf, 0o644))
	b.do(chromedp.EmulateViewport(1280, 800), chromedp.Sleep(100*time.Millisecond))
}

// audit runs the accessibility check in the page and fails on problems.
func (b *tab) audit(name string) {
	b.t.Helper()
	problems := eval[[]string](b, a11yAudit)
	if len(problems) > 0 {
		b.t.Errorf("accessibility problems on %s:\n  %s", name, strings.Join(problems, "\n  "))
	}
}

// a11yAudit is a small accessibility check run in the page. It lists:
// form controls without a label (label element, aria-label or
// aria-labelledby), images without alt, buttons and links without an
// accessible name, references (aria-labelledby, aria-describedby,
// aria-controls, label for) to missing ids, duplicate ids, a missing
// <html lang> or <h1>, and visible text whose contrast against its
// background (from getComputedStyle, walking up to the first opaque
// background) is under 4.5:1 (3:1 for large text). Disabled controls are
// exempt from the contrast rule, as in WCAG 2.1 (1.4.3).
const a11yAudit = `(() => {
  const problems = [];
  const desc = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '');
  const visible = e => {
    if (!e.getClientRects().length) return false;
    const s = getComputedStyle(e);
    return s.visibility !== 'hidden' && s.display !== 'none';
  };
  const byIds = v => (v || '').split(/\s+/).filter(Boolean).map(id => document.getElementById(id));
  const labelled = e => {
    if ((e.getAttribute('aria-label') || '').trim()) return true;
    if (byIds(e.getAttribute('aria-labelledby')).some(n => n && n.textContent.trim())) return true;
    if (e.labels && Array.from(e.labels).some(l => l.textContent.trim() || l.querySelector('img[alt]'))) return true;
    return false;
  };
  if (!document.documentElement.getAttribute('lang')) problems.push('<html> has no lang');
  if (document.querySelectorAll('h1').length !== 1) problems.push('expected exactly one h1, found ' + document.querySelectorAll('h1').length);
  if (!document.title.trim()) problems.push('empty <title>');
  const seen = {};
  document.querySelectorAll('[id]').forEach(e => { if (seen[e.id]) problems.push('duplicate id ' + e.id); seen[e.id] = true; });
  document.querySelectorAll('[aria-labelledby],[aria-describedby],[aria-controls],label[for]').forEach(e => {
    ['aria-labelledby', 'aria-describedby', 'aria-controls', 'for'].forEach(a => {
      byIds(e.getAttribute(a)).forEach((n, i) => { if (!n) problems.push(desc(e) + ' ' + a + ' names a missing id: ' + e.getAttribute(a)); });
    });
  });
  document.querySelectorAll('input, select, textarea').forEach(e => {
    if (e.type === 'hidden' || e.getAttribute('aria-hidden') === 'true') return;
    if (!labelled(e)) problems.push('control without a label: ' + desc(e) + (e.name ? '[name=' + e.name + ']' : ''));
  });
  document.querySelectorAll('img').forEach(e => { if (!e.hasAttribute('alt')) problems.push('image without alt: ' + e.getAttribute('src')); });
  document.querySelectorAll('svg[role="img"]').forEach(e => { if (!labelled(e)) problems.push('svg image without a name: ' + desc(e)); });
  document.querySelectorAll('button, a[href], [role="tab"], [role="button"]').forEach(e => {
    const name = (e.getAttribute('aria-label') || '').trim() || byIds(e.getAttribute('aria-labelledby')).map(n => n ? n.textContent : '').join('').trim() ||
      e.textContent.trim() || (e.getAttribute('title') || '').trim() || Array.from(e.querySelectorAll('img[alt]')).map(i => i.alt).join('').trim();
    if (!name) problems.push('no accessible name: ' + desc(e));
  });
  // Contrast.
  const parse = c => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const background = e => {
    const layers = [];
    for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    if (!layers.length || layers[layers.length - 1].a < 1) {
      const root = parse(getComputedStyle(document.documentElement).backgroundColor);
      if (root && root.a > 0) bg = over(root, bg);
    }
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const bodyFg = parse(getComputedStyle(document.body).color), bodyBg = background(document.body);
  if (ratio(bodyFg, bodyBg) < 4.5) problems.push('body text contrast ' + ratio(bodyFg, bodyBg).toFixed(2));
  let checked = 0;
  const all = document.body.querySelectorAll('*');
  for (const e of all) {
    if (checked > 1500) break;
    if (!Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    if (!visible(e) || e.closest('.sr-only, [aria-hidden="true"], option, script, style, datalist')) continue;
    if (e.closest(':disabled, [aria-disabled="true"]')) continue;
    checked++;
    const s = getComputedStyle(e);
    const fg = parse(s.color);
    if (!fg) continue;
    const bg = background(e);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const r = ratio(fg.a < 1 ? over(fg, bg) : fg, bg);
    if (r < need) problems.push('contrast ' + r.toFixed(2) + ' < ' + need + ' for ' + desc(e) + ' "' + e.textContent.trim().slice(0, 30) + '"');
  }
  return problems;
})()`
