// Shared helpers of the gb console: strings, the admin API client, toasts,
// confirmations, formatting and the theme switch. Every page script uses
// the GB object defined here. No library; no inline script (the pages'
// Content-Security-Policy forbids it).
(function () {
  'use strict';

  var dict = {};
  try {
    dict = JSON.parse(document.getElementById('gb-i18n').textContent) || {};
  } catch (e) { dict = {}; }
  var lang = document.body.getAttribute('data-lang') || 'en';
  var locale = lang === 'zh' ? 'zh-CN' : 'en';

  // t returns the string called key with {name} placeholders filled.
  function t(key, vars) {
    var s = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : key;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, k) {
        return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
      });
    }
    return s;
  }

  // el builds an element: attrs are attributes (on* are not allowed;
  // use addEventListener), children are nodes or strings (text).
  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') n.textContent = v;
        else if (k === 'className') n.className = v;
        else n.setAttribute(k, v === true ? '' : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      n.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return n;
  }

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split('; ') : [];
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split('=');
      if (kv[0] === name) return decodeURIComponent(kv.slice(1).join('='));
    }
    return '';
  }

  // ApiError carries the admin API's error: status, code, message and,
  // for validation errors, fields {NAME: message}.
  function ApiError(status, body) {
    var e = (body && body.error) || {};
    this.name = 'ApiError';
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.message = e.message || ('HTTP ' + status);
    this.fields = e.fields || null;
  }
  ApiError.prototype = Object.create(Error.prototype);

  // api calls the admin API with the session cookie and the CSRF token;
  // it resolves to the decoded JSON (null for 204, a string for text),
  // rejects with an ApiError, and sends the browser to the log-in page
  // when the session has ended.
  function api(method, path, body, opts) {
    opts = opts || {};
    var headers = { 'Accept': 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = cookie('gb_csrf');
    var init = { method: method, headers: headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined && body !== null) {
      if (typeof body === 'string') { headers['Content-Type'] = 'text/plain; charset=utf-8'; init.body = body; }
      else { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    }
    if (opts.signal) init.signal = opts.signal;
    return fetch(path, init).then(function (r) {
      if (r.status === 401) {
        location.href = '/?error=expired';
        return new Promise(function () {});
      }
      if (r.status === 204) return null;
      var ct = r.headers.get('Content-Type') || '';
      var p = ct.indexOf('application/json') >= 0 ? r.json() : r.text();
      return p.then(function (data) {
        if (!r.ok) throw new ApiError(r.status, typeof data === 'object' ? data : null);
        return data;
      });
    }, function (err) {
      if (err && err.name === 'AbortError') throw err;
      var e = new ApiError(0, null);
      e.message = t('common.network');
      throw e;
    });
  }

  // toast shows a short message in the live region; kind is "ok",
  // "error" or "" (information). Errors are also announced assertively.
  function toast(msg, kind) {
    var box = document.getElementById('toasts');
    if (!box) return;
    var n = el('div', { className: 'toast' + (kind ? ' ' + kind : '') }, [msg]);
    box.appendChild(n);
    if (kind === 'error') {
      var a = document.getElementById('alerts');
      if (a) { a.textContent = ''; setTimeout(function () { a.textContent = msg; }, 30); }
    }
    setTimeout(function () { if (n.parentNode) n.parentNode.removeChild(n); }, kind === 'error' ? 9000 : 5000);
    while (box.children.length > 4) box.removeChild(box.firstChild);
  }

  function fail(err) {
    if (err && err.name === 'AbortError') return;
    toast(t('common.error', { msg: (err && err.message) || String(err) }), 'error');
  }

  // confirmAction asks before a destructive action; resolves to true
  // when the operator confirms.
  function confirmAction(text, okLabel) {
    var d = document.getElementById('confirm-dialog');
    if (!d || typeof d.showModal !== 'function') return Promise.resolve(window.confirm(text));
    document.getElementById('confirm-text').textContent = text;
    var ok = document.getElementById('confirm-ok');
    ok.textContent = okLabel || t('common.confirm');
    d.returnValue = '';
    return new Promise(function (resolve) {
      d.addEventListener('close', function onClose() {
        d.removeEventListener('close', onClose);
        resolve(d.returnValue === 'ok');
      });
      d.showModal();
      document.getElementById('confirm-cancel').focus();
    });
  }

  // copyText copies text to the clipboard, with a fallback for pages
  // not served over HTTPS (where navigator.clipboard is missing).
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return legacyCopy(text); });
    }
    return legacyCopy(text);
  }
  function legacyCopy(text) {
    return new Promise(function (resolve, reject) {
      var ta = el('textarea', { 'aria-hidden': 'true', readonly: true, className: 'sr-only' });
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (ok) resolve(); else reject(new Error(t('common.copyfail')));
    });
  }

  var numFmt = new Intl.NumberFormat(locale);
  var compactFmt;
  try { compactFmt = new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }); } catch (e) { compactFmt = numFmt; }
  function num(n) { return n === null || n === undefined ? '—' : numFmt.format(n); }
  function compact(n) { return n === null || n === undefined ? '—' : (Math.abs(n) >= 100000 ? compactFmt.format(n) : numFmt.format(n)); }
  var dtFmt = new Intl.DateTimeFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  var shortFmt = new Intl.DateTimeFormat(locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
  var timeFmt = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  function when(s) { if (!s) return '—'; var d = new Date(s); return isNaN(d) ? String(s) : dtFmt.format(d); }
  function short(s) { var d = new Date(s); return isNaN(d) ? String(s) : shortFmt.format(d); }
  function clock(d) { return timeFmt.format(d || new Date()); }
  var rel;
  try { rel = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }); } catch (e) { rel = null; }
  // relative says when a time is, from now ("in 5 minutes").
  function relative(s) {
    var d = new Date(s);
    if (isNaN(d)) return String(s);
    var sec = Math.round((d - new Date()) / 1000);
    if (!rel) return when(s);
    var a = Math.abs(sec);
    if (a < 60) return rel.format(sec, 'second');
    if (a < 3600) return rel.format(Math.round(sec / 60), 'minute');
    if (a < 86400 * 2) return rel.format(Math.round(sec / 3600), 'hour');
    return rel.format(Math.round(sec / 86400), 'day');
  }

  function debounce(f, ms) {
    var h;
    return function () {
      var args = arguments, self = this;
      clearTimeout(h);
      h = setTimeout(function () { f.apply(self, args); }, ms);
    };
  }

  // params reads the page's URL parameters over defaults; setParams
  // writes the non-default ones back without reloading, so that a
  // reload or a shared link keeps the operator's place.
  function params(defaults) {
    var q = new URLSearchParams(location.search), out = {};
    Object.keys(defaults).forEach(function (k) { out[k] = q.has(k) ? q.get(k) : defaults[k]; });
    return out;
  }
  function setParams(values, defaults) {
    var q = new URLSearchParams();
    Object.keys(values).forEach(function (k) {
      var v = values[k];
      if (v !== '' && v !== null && v !== undefined && String(v) !== String(defaults[k])) q.set(k, v);
    });
    var s = q.toString();
    history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
    // The language links keep the place too.
    document.querySelectorAll('.langs a[data-lang]').forEach(function (a) {
      var lq = new URLSearchParams(s);
      lq.set('lang', a.getAttribute('data-lang'));
      a.setAttribute('href', location.pathname + '?' + lq.toString());
    });
  }

  // busy marks a button as working while p runs.
  function busy(btn, p) {
    if (!btn) return p;
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
    var done = function () { btn.disabled = false; btn.removeAttribute('aria-busy'); };
    return p.then(function (v) { done(); return v; }, function (e) { done(); throw e; });
  }

  // ready records that the page has shown its data (for the browser
  // tests' load-time figures).
  function ready(name) {
    var ms = Math.round(performance.now());
    window.gbReady = window.gbReady || {};
    if (window.gbReady[name] === undefined) window.gbReady[name] = ms;
    document.body.setAttribute('data-ready-' + name, String(ms));
  }

  // Theme switch: light ⇄ dark, remembered in localStorage; until the
  // first switch the system preference applies.
  function effectiveTheme() {
    var t0 = document.documentElement.getAttribute('data-theme');
    if (t0) return t0;
    return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  function initTheme() {
    var b = document.getElementById('theme-toggle');
    if (!b) return;
    var sync = function () { b.setAttribute('aria-pressed', effectiveTheme() === 'dark' ? 'true' : 'false'); };
    sync();
    b.addEventListener('click', function () {
      var next = effectiveTheme() === 'dark' ? 'light' : 'dark';
      document.documentElement.setAttribute('data-theme', next);
      try { localStorage.setItem('gb-theme', next); } catch (e) { /* ignore */ }
      sync();
      toast(t(next === 'dark' ? 'theme.dark' : 'theme.light'));
    });
    if (window.matchMedia) {
      var mq = window.matchMedia('(prefers-color-scheme: dark)');
      if (mq.addEventListener) mq.addEventListener('change', sync);
    }
  }

  // Keep the log-out form's token in step with the cookie (it changes at
  // every log-in).
  function initLogout() {
    var f = document.querySelector('form.logout');
    if (!f) return;
    f.addEventListener('submit', function () {
      var c = cookie('gb_csrf');
      if (c) f.querySelector('input[name="csrf_token"]').value = c;
    });
  }

  window.GB = {
    t: t, el: el, api: api, ApiError: ApiError, toast: toast, fail: fail, confirm: confirmAction,
    copy: copyText, num: num, compact: compact, when: when, short: short, clock: clock, relative: relative,
    debounce: debounce, params: params, setParams: setParams, busy: busy, ready: ready, lang: lang, cookie: cookie
  };

  initTheme();
  initLogout();
  if (document.body.classList.contains('page-login')) ready('login');
})();
