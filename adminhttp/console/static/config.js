// The /config page: every setting of GET /api/config, grouped in tabs
// like gemini-balance's page, edited in place and saved with one
// PUT /api/config (only the changed values), which validates, applies
// live and stores them. Secrets stay masked until revealed; validation
// messages appear next to their fields.
(function () {
  'use strict';
  var GB = window.GB, t = GB.t, el = GB.el;
  var $ = function (id) { return document.getElementById(id); };

  var GROUPS = [
    ['api', ['AUTH_TOKEN', 'ALLOWED_TOKENS', 'BASE_URL', 'MAX_FAILURES', 'MAX_RETRIES', 'TIME_OUT', 'TEST_MODEL', 'ADMIN_SESSION_EXPIRE',
      'MAX_REQUEST_BODY_MB', 'CUSTOM_HEADERS', 'URL_NORMALIZATION_ENABLED', 'VERTEX_API_KEYS', 'VERTEX_EXPRESS_BASE_URL', 'API_KEYS']],
    ['models', ['SEARCH_MODELS', 'IMAGE_MODELS', 'FILTERED_MODELS', 'TOOLS_CODE_EXECUTION_ENABLED', 'URL_CONTEXT_ENABLED', 'URL_CONTEXT_MODELS',
      'SHOW_SEARCH_LINK', 'SAFETY_SETTINGS']],
    ['thinking', ['SHOW_THINKING_PROCESS', 'THINKING_MODELS', 'THINKING_BUDGET_MAP']],
    ['tts', ['TTS_MODEL', 'TTS_VOICE_NAME', 'TTS_SPEED']],
    ['images', ['PAID_KEY', 'CREATE_IMAGE_MODEL', 'UPLOAD_PROVIDER', 'SMMS_SECRET_TOKEN', 'PICGO_API_KEY', 'PICGO_API_URL', 'CLOUDFLARE_IMGBED_URL',
      'CLOUDFLARE_IMGBED_AUTH_CODE', 'CLOUDFLARE_IMGBED_UPLOAD_FOLDER', 'OSS_ENDPOINT', 'OSS_ENDPOINT_INNER', 'OSS_ACCESS_KEY', 'OSS_ACCESS_KEY_SECRET',
      'OSS_BUCKET_NAME', 'OSS_REGION']],
    ['streaming', ['STREAM_OPTIMIZER_ENABLED', 'STREAM_MIN_DELAY', 'STREAM_MAX_DELAY', 'STREAM_SHORT_TEXT_THRESHOLD', 'STREAM_LONG_TEXT_THRESHOLD',
      'STREAM_CHUNK_SIZE', 'FAKE_STREAM_ENABLED', 'FAKE_STREAM_EMPTY_DATA_INTERVAL_SECONDS']],
    ['scheduler', ['CHECK_INTERVAL_HOURS', 'TIMEZONE']],
    ['logging', ['LOG_LEVEL', 'ERROR_LOG_RECORD_REQUEST_BODY', 'AUTO_DELETE_ERROR_LOGS_ENABLED', 'AUTO_DELETE_ERROR_LOGS_DAYS',
      'AUTO_DELETE_REQUEST_LOGS_ENABLED', 'AUTO_DELETE_REQUEST_LOGS_DAYS']],
    ['proxies', ['PROXIES', 'PROXIES_USE_CONSISTENCY_HASH_BY_API_KEY', 'UPSTREAM_HTTP2']],
    ['other', []]
  ];
  // Values masked even though they are not secrets as a whole (proxy
  // passwords, header values): editable only once revealed.
  var ALWAYS_MASKED = { PROXIES: true, CUSTOM_HEADERS: true };

  var settings = [];     // as GET /api/config gives them
  var orig = {};         // name → value shown when loaded (environment form)
  var unlocked = {};     // name → true once revealed
  var current = location.hash.replace(/^#tab-/, '') || 'api';

  function kindOf(s) {
    var v = s.value;
    if (v === 'true' || v === 'false') return 'bool';
    if (v.charAt(0) === '[') {
      try {
        var a = JSON.parse(v);
        if (Array.isArray(a) && a.every(function (x) { return typeof x === 'string'; })) return 'list';
      } catch (e) { /* not JSON */ }
      return 'json';
    }
    if (v.charAt(0) === '{') return 'json';
    return 'text';
  }
  function masked(s) { return s.secret || ALWAYS_MASKED[s.name]; }
  function groupOf(name) {
    for (var i = 0; i < GROUPS.length; i++) if (GROUPS[i][1].indexOf(name) >= 0) return GROUPS[i][0];
    return 'other';
  }

  // valueOf reads a control back in the form PUT /api/config takes.
  function valueOf(s) {
    var c = $('s-' + s.name);
    if (!c) return orig[s.name];
    switch (c.getAttribute('data-kind')) {
      case 'bool': return c.checked ? 'true' : 'false';
      case 'list': return JSON.stringify(c.value.split('\n').map(function (x) { return x.trim(); }).filter(Boolean));
      default: return c.value;
    }
  }
  function normal(s, v) {
    if (c0(s) === 'list') { try { return JSON.stringify(JSON.parse(v || '[]')); } catch (e) { return v; } }
    return v;
  }
  function c0(s) { var c = $('s-' + s.name); return c ? c.getAttribute('data-kind') : ''; }
  function changes() {
    var out = {};
    settings.forEach(function (s) {
      if (!s.editable) return;
      var v = valueOf(s);
      if (normal(s, v) !== normal(s, orig[s.name])) out[s.name] = c0(s) === 'list' ? JSON.parse(v) : v;
    });
    return out;
  }
  function syncDirty() {
    var ch = changes(), n = Object.keys(ch).length;
    $('config-save').disabled = n === 0;
    $('dirty-note').textContent = n ? t('config.dirty', { n: n }) : '';
    document.querySelectorAll('.setting').forEach(function (row) {
      row.classList.toggle('dirty', Object.prototype.hasOwnProperty.call(ch, row.getAttribute('data-name')));
    });
  }

  function control(s) {
    var kind = kindOf(s), id = 's-' + s.name, locked = masked(s) && !unlocked[s.name] && kind !== 'text';
    var desc = ['help-' + s.name, 'err-' + s.name].join(' ');
    var c;
    if (kind === 'bool') {
      c = el('input', { type: 'checkbox', id: id, 'data-kind': 'bool', 'aria-describedby': desc });
      c.checked = s.value === 'true';
    } else if (kind === 'list') {
      var items = [];
      try { items = JSON.parse(s.value); } catch (e) { items = []; }
      c = el('textarea', { id: id, 'data-kind': 'list', rows: Math.min(12, Math.max(3, items.length + 1)), spellcheck: 'false', 'aria-describedby': desc });
      c.value = items.join('\n');
    } else if (kind === 'json') {
      var pretty = s.value;
      try { pretty = JSON.stringify(JSON.parse(s.value), null, 2); } catch (e) { /* keep */ }
      c = el('textarea', { id: id, 'data-kind': 'json', rows: Math.min(14, Math.max(3, pretty.split('\n').length)), spellcheck: 'false', 'aria-describedby': desc });
      c.value = pretty;
      orig[s.name] = pretty;
    } else {
      var isNum = /^-?\d+(\.\d+)?$/.test(s.value);
      c = el('input', { type: masked(s) && !unlocked[s.name] ? 'password' : 'text', id: id, 'data-kind': 'text', autocomplete: 'off', spellcheck: 'false',
        inputmode: isNum ? 'decimal' : null, 'aria-describedby': desc });
      c.value = s.value;
    }
    if (!s.editable) c.disabled = true;
    if (locked) c.readOnly = true;
    c.addEventListener('input', syncDirty);
    c.addEventListener('change', syncDirty);
    var row = [c];
    if (masked(s) && s.editable) {
      var shown = !!unlocked[s.name];
      var b = el('button', { type: 'button', className: 'btn small', 'data-reveal': s.name, 'aria-pressed': shown ? 'true' : 'false',
        'aria-label': (shown ? t('config.hide') : t('config.reveal')) + ' ' + s.name, text: shown ? t('config.hide') : t('config.reveal') });
      row.push(b);
    }
    return el('div', { className: 'row' }, row);
  }

  function helpText(s) {
    var kind = kindOf(s);
    if (!s.editable) return t('config.notedit', { note: s.note || '' });
    if (masked(s) && !unlocked[s.name] && kind !== 'text') return t('config.masked');
    if (kind === 'list') return t('config.list');
    if (kind === 'json') return t('config.json');
    return '';
  }

  function renderSetting(s) {
    if (!(s.name in orig)) orig[s.name] = s.value;
    var ctl = control(s);
    return el('div', { className: 'setting', 'data-name': s.name }, [
      el('div', {}, [
        el('label', { className: 'name', 'for': 's-' + s.name, text: s.name }),
        el('div', { className: 'meta' }, [el('span', { className: 'source ' + s.source, text: t('config.source.' + s.source) })])
      ]),
      el('div', { className: 'control' }, [
        ctl,
        el('p', { className: 'help', id: 'help-' + s.name, text: helpText(s) }),
        el('p', { className: 'fielderr', id: 'err-' + s.name, hidden: true })
      ])
    ]);
  }

  function render() {
    var form = $('config-form'), tabs = $('config-tabs');
    var byGroup = {};
    GROUPS.forEach(function (g) { byGroup[g[0]] = []; });
    var order = {};
    GROUPS.forEach(function (g) { g[1].forEach(function (n, i) { order[n] = i; }); });
    settings.forEach(function (s) { byGroup[groupOf(s.name)].push(s); });
    var tabNodes = [], panels = [];
    GROUPS.forEach(function (g) {
      var name = g[0], list = byGroup[name];
      if (!list.length && name !== 'scheduler') return;
      list.sort(function (a, b) { return (order[a.name] || 0) - (order[b.name] || 0); });
      var sel = name === current;
      tabNodes.push(el('button', { type: 'button', role: 'tab', className: 'tab', id: 'tab-' + name, 'aria-controls': 'panel-' + name,
        'aria-selected': sel ? 'true' : 'false', tabindex: sel ? '0' : '-1', 'data-tab': name }, [t('tab.' + name)]));
      var kids = [el('h2', { className: 'sr-only', text: t('tab.' + name) })];
      if (name === 'proxies') kids.push(el('p', { className: 'muted small', text: t('config.proxynote') }));
      list.forEach(function (s) { kids.push(renderSetting(s)); });
      if (name === 'scheduler') kids.push($('scheduler-tpl').content.cloneNode(true));
      if (name === 'proxies' && list.some(function (s) { return s.name === 'PROXIES'; })) kids.push($('proxycheck-tpl').content.cloneNode(true));
      panels.push(el('div', { role: 'tabpanel', id: 'panel-' + name, 'aria-labelledby': 'tab-' + name, hidden: !sel, tabindex: '0' }, kids));
    });
    if (!tabNodes.some(function (b) { return b.getAttribute('aria-selected') === 'true'; })) {
      current = 'api';
      return render();
    }
    tabs.replaceChildren.apply(tabs, tabNodes);
    form.replaceChildren.apply(form, panels);
    form.setAttribute('aria-busy', 'false');
    if (current === 'scheduler') loadScheduler();
    syncDirty();
  }

  function select(name, focus) {
    current = name;
    history.replaceState(null, '', '#tab-' + name);
    document.querySelectorAll('[role="tab"]').forEach(function (b) {
      var on = b.getAttribute('data-tab') === name;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
      if (on && focus) b.focus();
    });
    document.querySelectorAll('[role="tabpanel"]').forEach(function (p) { p.hidden = p.id !== 'panel-' + name; });
    if (name === 'scheduler') loadScheduler();
  }

  $('config-tabs').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-tab]');
    if (b) select(b.getAttribute('data-tab'));
  });
  $('config-tabs').addEventListener('keydown', function (ev) {
    var tabs = Array.from(document.querySelectorAll('[role="tab"]'));
    var i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    var next = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    next = (next + tabs.length) % tabs.length;
    select(tabs[next].getAttribute('data-tab'), true);
  });

  function showErrors(fields) {
    document.querySelectorAll('.fielderr').forEach(function (p) { p.hidden = true; p.textContent = ''; });
    document.querySelectorAll('[aria-invalid="true"]').forEach(function (n) { n.removeAttribute('aria-invalid'); });
    document.querySelectorAll('.tab .dot').forEach(function (n) { n.remove(); });
    var first = null;
    Object.keys(fields || {}).forEach(function (name) {
      var p = $('err-' + name), c = $('s-' + name);
      if (!p) { GB.toast(name + ': ' + fields[name], 'error'); return; }
      p.textContent = fields[name];
      p.hidden = false;
      if (c) c.setAttribute('aria-invalid', 'true');
      var tab = $('tab-' + groupOf(name));
      if (tab && !tab.querySelector('.dot')) tab.appendChild(el('span', { className: 'dot', 'aria-hidden': 'true', text: '!' }));
      if (!first) first = name;
    });
    if (first) {
      select(groupOf(first));
      var c = $('s-' + first);
      if (c) c.focus();
    }
  }

  function load(answer) {
    settings = answer.settings || [];
    orig = {};
    render();
    GB.ready('config');
  }

  $('config-form').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-reveal]');
    if (!b) return;
    var name = b.getAttribute('data-reveal');
    if (unlocked[name]) {
      var c0 = $('s-' + name);
      if (c0 && c0.type === 'text' && c0.getAttribute('data-kind') === 'text') c0.type = 'password';
      unlocked[name] = false;
      b.textContent = t('config.reveal');
      b.setAttribute('aria-pressed', 'false');
      return;
    }
    GB.busy(b, GB.api('GET', '/api/config?reveal=' + encodeURIComponent(name))).then(function (d) {
      var s = (d.settings || []).filter(function (x) { return x.name === name; })[0];
      if (!s) return;
      unlocked[name] = true;
      var i = settings.findIndex(function (x) { return x.name === name; });
      var keep = $('s-' + name) ? valueOf(settings[i]) : null;
      var edited = keep !== null && normal(settings[i], keep) !== normal(settings[i], orig[name]);
      s.secret = settings[i].secret;
      settings[i] = s;
      orig[name] = s.value;
      var row = document.querySelector('.setting[data-name="' + name + '"]');
      delete orig[name];
      var fresh = renderSetting(s);
      row.replaceWith(fresh);
      if (edited && $('s-' + name).getAttribute('data-kind') === 'text') $('s-' + name).value = keep;
      $('s-' + name).focus();
      GB.toast(t('config.revealed', { name: name }));
      syncDirty();
    }).catch(GB.fail);
  });

  $('config-save').addEventListener('click', function () {
    var ch = changes();
    var names = Object.keys(ch);
    if (!names.length) { GB.toast(t('config.nochange')); return; }
    GB.busy(this, GB.api('PUT', '/api/config', ch)).then(function (d) {
      showErrors({});
      unlocked = {};
      load(d);
      GB.toast(t('config.saved', { names: names.join(', ') }), 'ok');
    }, function (e) {
      if (e.fields) {
        showErrors(e.fields);
        GB.toast(t('config.invalid'), 'error');
        return;
      }
      throw e;
    }).catch(GB.fail);
  });

  $('config-reset').addEventListener('click', function () {
    var b = this;
    GB.confirm(t('config.resetq'), t('config.reset')).then(function (ok) {
      if (!ok) return;
      return GB.busy(b, GB.api('POST', '/api/config/reset')).then(function (d) {
        showErrors({});
        unlocked = {};
        load(d);
        GB.toast(t('config.resetdone'), 'ok');
      }, function (e) {
        if (e.fields) { showErrors(e.fields); }
        throw e;
      });
    }).catch(GB.fail);
  });

  window.addEventListener('beforeunload', function (ev) {
    if (Object.keys(changes()).length) { ev.preventDefault(); ev.returnValue = t('config.leave'); }
  });

  // ---- proxy check ----

  // The list to check: the PROXIES textarea once revealed (edits
  // included), else nothing, so the server checks the saved list.
  function proxiesToCheck() {
    var c = $('s-PROXIES');
    if (!c || !unlocked.PROXIES || c.getAttribute('data-kind') !== 'list') return [];
    return c.value.split('\n').map(function (x) { return x.trim(); }).filter(Boolean);
  }
  $('config-form').addEventListener('click', function (ev) {
    var b = ev.target.closest('#proxy-check-all');
    if (!b) return;
    var list = proxiesToCheck(), out = $('proxycheck-results'), sum = $('proxycheck-summary');
    out.replaceChildren();
    sum.textContent = t('proxy.checking');
    var body = { max_concurrent: 5 };
    if (list.length) body.proxies = list;
    GB.busy(b, GB.api('POST', '/api/config/proxy/check-all', body)).then(function (d) {
      var rows = (d.results || []).map(function (r) {
        var ok = r.is_available;
        return el('li', { className: ok ? 'ok' : 'bad', 'data-proxy': r.proxy }, [
          el('code', { text: r.proxy }), ' — ',
          el('span', { text: ok ? t('proxy.ok', { ms: r.response_time_ms, status: r.status_code }) : t('proxy.bad', { error: r.error_message || '' }) })
        ]);
      });
      out.replaceChildren.apply(out, rows);
      sum.textContent = t('proxy.summary', { ok: d.available || 0, n: d.total || 0 });
    }, function (e) {
      sum.textContent = '';
      throw e;
    }).catch(GB.fail);
  });

  // ---- scheduler ----

  function loadScheduler() {
    if (!$('sched-jobs')) return;
    GB.api('GET', '/api/scheduler').then(function (s) {
      $('sched-state').textContent = s.paused ? t('sched.paused') : s.running ? t('sched.running') : t('sched.stopped');
      $('sched-pause').disabled = !!s.paused;
      $('sched-resume').disabled = !s.paused;
      var rows = (s.jobs || []).map(function (j) {
        return el('tr', {}, [
          el('td', {}, [el('strong', { text: j.name }), el('span', { className: 'reason', text: j.description })]),
          el('td', { text: j.last_run ? GB.when(j.last_run) : t('common.never') }),
          el('td', { text: j.enabled ? (j.next_run ? GB.when(j.next_run) : '—') : t('sched.off') }),
          el('td', { text: j.last_error || j.last_outcome || '—' }),
          el('td', {}, [el('button', { type: 'button', className: 'btn small', 'data-run': j.name, disabled: j.running, 'aria-label': t('sched.run') + ' ' + j.name, text: t('sched.run') })])
        ]);
      });
      $('sched-jobs').replaceChildren.apply($('sched-jobs'), rows);
    }).catch(function (e) {
      if (e.status === 501) { var s = document.querySelector('.scheduler'); if (s) s.hidden = true; return; }
      GB.fail(e);
    });
  }
  $('config-form').addEventListener('click', function (ev) {
    var b = ev.target.closest('#sched-pause, #sched-resume, [data-run]');
    if (!b) return;
    var path = b.id === 'sched-pause' ? '/api/scheduler/pause' : b.id === 'sched-resume' ? '/api/scheduler/resume' : '/api/scheduler/run/' + encodeURIComponent(b.getAttribute('data-run'));
    GB.busy(b, GB.api('POST', path)).then(function () {
      GB.toast(b.hasAttribute('data-run') ? t('sched.started', { job: b.getAttribute('data-run') }) : t('common.done'), 'ok');
      setTimeout(loadScheduler, 300);
    }).catch(GB.fail);
  });

  GB.api('GET', '/api/config').then(load).catch(GB.fail);
})();
