// The /keys dashboard: statistics cards, the requests/errors chart, pool
// health, the attention list and the key table with its actions. Every
// figure comes from the admin API (/api/stats/…, /api/keys…); the page
// refreshes itself every 10 s without losing the operator's page,
// filters, selection, focus or scroll.
(function () {
  'use strict';
  var GB = window.GB, t = GB.t, el = GB.el;
  var $ = function (id) { return document.getElementById(id); };

  var defaults = { page: '1', limit: '20', search: '', state: 'all', model: '', range: '1h' };
  var st = GB.params(defaults);
  st.page = Math.max(1, parseInt(st.page, 10) || 1);
  var selected = new Map(); // id → masked key
  var revealed = new Map(); // id → full key, while shown
  var lastKeys = '';        // JSON of the last rendered page, to skip identical re-renders
  var totalPages = 0;
  var seq = { keys: 0, overview: 0, series: 0, attention: 0 };

  function save() { GB.setParams({ page: st.page, limit: st.limit, search: st.search, state: st.state, model: st.model, range: st.range }, defaults); }

  // ---- statistics ----

  function loadOverview() {
    var my = ++seq.overview;
    return GB.api('GET', '/api/stats/overview').then(function (o) {
      if (my !== seq.overview) return;
      document.querySelectorAll('#stat-cards .card').forEach(function (card) {
        var c = (o.periods || {})[card.getAttribute('data-period')] || {};
        card.querySelectorAll('[data-f]').forEach(function (n) {
          var f = n.getAttribute('data-f');
          n.textContent = f === 'total_tokens' ? GB.compact(c[f] || 0) : GB.num(c[f] || 0);
        });
      });
      var k = o.keys || {};
      $('count-total').textContent = GB.num(k.total || 0);
      $('count-active').textContent = GB.num(k.active || 0);
      $('count-cooling').textContent = GB.num(k.cooling || 0);
      $('count-benched').textContent = GB.num(k.benched || 0);
      GB.ready('stats');
    });
  }

  function niceMax(v) {
    if (v <= 5) return 5;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < m.length; i++) if (m[i] * p >= v) return m[i] * p;
    return 10 * p;
  }

  var SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, kids) {
    var n = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    (kids || []).forEach(function (c) { n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return n;
  }

  function drawChart(data) {
    var chart = $('chart'), wrap = chart.parentNode;
    var W = 640, H = 220, pts = data.points || [];
    while (chart.firstChild) chart.removeChild(chart.firstChild);
    wrap.querySelectorAll('.chart-label, .chart-empty').forEach(function (n) { n.remove(); });
    var max = 0, calls = 0, errors = 0, peak = 0;
    pts.forEach(function (p) { max = Math.max(max, p.calls); calls += p.calls; errors += p.failures; peak = Math.max(peak, p.calls); });
    var top = niceMax(max);
    var n = Math.max(pts.length - 1, 1);
    var x = function (i) { return (i / n) * W; };
    var y = function (v) { return H - (v / top) * (H - 8); };
    var desc = calls === 0 ? t('chart.empty') : t('chart.desc', {
      calls: GB.num(calls), errors: GB.num(errors), peak: GB.num(peak),
      from: pts.length ? GB.short(pts[0].time) : '', to: pts.length ? GB.short(pts[pts.length - 1].time) : ''
    });
    chart.appendChild(svg('desc', { id: 'chart-desc' }, [desc]));
    for (var g = 0; g <= 4; g++) {
      var gy = y((top / 4) * g);
      chart.appendChild(svg('line', { x1: 0, x2: W, y1: gy, y2: gy, 'class': 'grid' }));
    }
    if (pts.length) {
      var line = pts.map(function (p, i) { return x(i).toFixed(1) + ',' + y(p.calls).toFixed(1); }).join(' ');
      chart.appendChild(svg('polygon', { points: '0,' + H + ' ' + line + ' ' + W + ',' + H, 'class': 'calls-area' }));
      chart.appendChild(svg('polyline', { points: line, 'class': 'calls' }));
      chart.appendChild(svg('polyline', { points: pts.map(function (p, i) { return x(i).toFixed(1) + ',' + y(p.failures).toFixed(1); }).join(' '), 'class': 'errors' }));
      // Hover targets with a native tooltip per step.
      var bw = W / pts.length;
      pts.forEach(function (p, i) {
        chart.appendChild(svg('rect', { x: Math.max(0, x(i) - bw / 2), y: 0, width: bw, height: H, fill: 'transparent' },
          [svg('title', {}, [GB.short(p.time) + ' — ' + t('chart.requests') + ' ' + GB.num(p.calls) + ', ' + t('chart.errors') + ' ' + GB.num(p.failures)])]));
      });
    }
    var label = function (text, css) {
      var l = el('span', { className: 'chart-label', 'aria-hidden': 'true' }, [text]);
      Object.keys(css).forEach(function (k) { l.style[k] = css[k]; });
      wrap.appendChild(l);
    };
    if (calls > 0) {
      label(GB.num(top), { left: '4px', top: '0' });
      label(GB.num(top / 2), { left: '4px', top: 'calc(50% - 0.9em)' });
    }
    if (pts.length) {
      label(GB.short(pts[0].time), { left: '0', bottom: '-1.5em' });
      label(GB.short(pts[pts.length - 1].time), { right: '0', bottom: '-1.5em' });
    }
    if (calls === 0) wrap.appendChild(el('div', { className: 'chart-empty', 'aria-hidden': 'true' }, [t('chart.empty')]));
  }

  function loadSeries() {
    var my = ++seq.series;
    document.querySelectorAll('.seg[data-range]').forEach(function (b) {
      b.setAttribute('aria-pressed', b.getAttribute('data-range') === st.range ? 'true' : 'false');
    });
    return GB.api('GET', '/api/stats/series?range=' + encodeURIComponent(st.range)).then(function (d) {
      if (my !== seq.series) return;
      drawChart(d);
      GB.ready('chart');
    });
  }

  function loadAttention() {
    var my = ++seq.attention;
    var code = $('attention-status').value;
    return GB.api('GET', '/api/stats/attention-keys?limit=10&status_code=' + encodeURIComponent(code)).then(function (rows) {
      if (my !== seq.attention) return;
      var ol = $('attention');
      var items = (rows || []).map(function (a) {
        var stateText = a.pooled ? t('state.' + a.state) : t('attention.gone');
        var b = el('button', { type: 'button', className: 'btn link', 'data-search': a.id, title: a.id }, [el('code', { text: a.key })]);
        return el('li', {}, [
          el('span', {}, [b, ' ', el('span', { className: 'muted small', text: stateText })]),
          el('span', { className: 'bad', text: t('attention.item', { count: GB.num(a.count), calls: GB.num(a.calls) }) })
        ]);
      });
      if (!items.length) items = [el('li', { className: 'muted', text: t('attention.empty') })];
      ol.replaceChildren.apply(ol, items);
    });
  }

  // ---- key table ----

  function query() {
    var q = new URLSearchParams({ page: st.page, limit: st.limit, state: st.state });
    if (st.search) q.set('search', st.search);
    if (st.model) q.set('model', st.model);
    return q.toString();
  }

  function loadKeys(force) {
    var my = ++seq.keys;
    var table = $('key-table');
    table.setAttribute('aria-busy', 'true');
    return GB.api('GET', '/api/keys?' + query()).then(function (p) {
      if (my !== seq.keys) return;
      table.setAttribute('aria-busy', 'false');
      totalPages = p.total_pages;
      if (st.page > 1 && p.total_pages > 0 && st.page > p.total_pages) {
        st.page = p.total_pages;
        save();
        return loadKeys(true);
      }
      var sig = JSON.stringify(p);
      if (force || sig !== lastKeys) {
        lastKeys = sig;
        renderRows(p);
      }
      $('key-page-info').textContent = t('pager.info', { page: GB.num(p.total_pages ? p.current_page : 0), pages: GB.num(p.total_pages), total: GB.num(p.total_items) });
      $('key-page-input').max = Math.max(1, p.total_pages);
      var pager = $('key-pager');
      pager.querySelector('[data-page="first"]').disabled = st.page <= 1;
      pager.querySelector('[data-page="prev"]').disabled = st.page <= 1;
      pager.querySelector('[data-page="next"]').disabled = st.page >= p.total_pages;
      pager.querySelector('[data-page="last"]').disabled = st.page >= p.total_pages;
      GB.ready('keys');
    }, function (e) {
      table.setAttribute('aria-busy', 'false');
      throw e;
    });
  }

  function stateCell(k) {
    var kids = [el('span', { className: 'badge ' + k.state, text: t('state.' + k.state) })];
    if (k.bench_reason) kids.push(el('span', { className: 'reason', text: k.bench_reason }));
    (k.models || []).forEach(function (m) {
      var s = t('keys.for', { model: m.model, reason: m.reason || '' });
      if (m.until) s += ' · ' + t('keys.until', { time: GB.relative(m.until) });
      kids.push(el('span', { className: 'reason', text: s, title: m.until ? GB.when(m.until) : null }));
    });
    return kids;
  }

  function renderRows(p) {
    var tb = $('key-rows');
    var active = document.activeElement;
    var focusKey = active && tb.contains(active) ? (active.getAttribute('data-id') || '') + '|' + (active.getAttribute('data-act') || '') : null;
    var frag = document.createDocumentFragment();
    if (!p.items.length) {
      var filtered = st.search || st.model || st.state !== 'all';
      frag.appendChild(el('tr', { className: 'empty' }, [el('td', { colspan: 7, text: t(filtered ? 'keys.nomatch' : 'keys.empty') })]));
    }
    p.items.forEach(function (k) {
      var isSel = selected.has(k.id);
      if (isSel) selected.set(k.id, k.key);
      var full = revealed.get(k.id);
      var u = k.usage || {};
      var calls = function (w) { return GB.compact((u[w] || {}).calls || 0); };
      var le = k.last_error;
      var tr = el('tr', { 'data-id': k.id, className: isSel ? 'selected' : '' }, [
        el('td', { className: 'col-check', 'data-label': '' }, [el('input', { type: 'checkbox', 'data-id': k.id, 'data-act': 'sel', 'aria-label': t('keys.sel.row', { key: k.key }), checked: isSel })]),
        el('td', { 'data-label': t('col.key') }, [el('div', { className: 'keycell' }, [
          el('code', { text: full || k.key, title: k.added_at ? t('keys.added.detail', { time: GB.when(k.added_at) }) : null }),
          el('button', { type: 'button', className: 'btn small ghost', 'data-id': k.id, 'data-act': full ? 'hide' : 'reveal', 'aria-label': (full ? t('keys.hide') : t('keys.reveal')) + ' ' + k.key, text: full ? t('keys.hide') : t('keys.reveal') }),
          el('button', { type: 'button', className: 'btn small ghost', 'data-id': k.id, 'data-act': 'copy', 'aria-label': t('keys.copy') + ' ' + k.key, text: t('common.copy') })
        ])]),
        el('td', { 'data-label': t('col.state') }, stateCell(k)),
        el('td', { className: 'num', 'data-label': t('col.failures'), text: GB.num(k.failures) }),
        el('td', { className: 'num', 'data-label': t('col.usage'), title: t('keys.usage.title'), text: calls('1h') + ' · ' + calls('24h') + ' · ' + calls('month') }),
        el('td', { 'data-label': t('col.lasterror') }, le ? [el('div', { className: 'errmsg' }, [
          el('strong', { text: le.status ? String(le.status) : '—' }), ' ', le.message || '',
          el('span', { className: 'reason', text: GB.when(le.time) })])] : [el('span', { className: 'muted', text: '—' })]),
        el('td', { className: 'actions', 'data-label': t('col.actions') }, [
          el('button', { type: 'button', className: 'btn small', 'data-id': k.id, 'data-act': 'verify', 'aria-label': t('action.verify') + ' ' + k.key, text: t('action.verify') }),
          el('button', { type: 'button', className: 'btn small', 'data-id': k.id, 'data-act': 'reset', 'aria-label': t('action.reset') + ' ' + k.key, text: t('action.reset') }),
          el('button', { type: 'button', className: 'btn small danger ghost', 'data-id': k.id, 'data-act': 'delete', 'aria-label': t('action.delete') + ' ' + k.key, text: t('action.delete') })
        ])
      ]);
      tr.setAttribute('data-key', k.key);
      frag.appendChild(tr);
    });
    tb.replaceChildren(frag);
    if (focusKey) {
      var parts = focusKey.split('|');
      var again = tb.querySelector('[data-id="' + parts[0] + '"][data-act="' + parts[1] + '"]');
      if (again) again.focus({ preventScroll: true });
    }
    syncSelection();
  }

  function syncSelection() {
    var n = selected.size;
    $('sel-count').textContent = n ? t('keys.sel.n', { n: GB.num(n) }) : t('keys.sel.none');
    document.querySelectorAll('#bulkbar [data-bulk]').forEach(function (b) { b.disabled = n === 0; });
    var boxes = document.querySelectorAll('#key-rows input[data-act="sel"]');
    var all = boxes.length > 0, some = false;
    boxes.forEach(function (b) {
      var on = selected.has(b.getAttribute('data-id'));
      b.checked = on;
      b.closest('tr').classList.toggle('selected', on);
      all = all && on; some = some || on;
    });
    var pageBox = $('sel-page');
    pageBox.checked = all;
    pageBox.indeterminate = some && !all;
  }

  function refreshAll() {
    return Promise.all([loadKeys(), loadOverview(), loadSeries(), loadAttention()]).then(function () {
      $('updated').textContent = t('common.updated', { time: GB.clock() });
    });
  }

  // ---- actions ----

  function maskedOf(id) {
    var tr = document.querySelector('#key-rows tr[data-id="' + id + '"]');
    return (tr && tr.getAttribute('data-key')) || selected.get(id) || id;
  }

  function reveal(id) {
    return GB.api('GET', '/api/keys/export?format=json&reveal=true&search=' + encodeURIComponent(id)).then(function (d) {
      if (!d || d.count !== 1) throw new Error(t('keys.nomatch'));
      return d.keys[0];
    });
  }

  function verify(ids, btn, extra) {
    var body = extra || { ids: ids };
    var n = ids ? ids.length : 0;
    if (n > 1 || !ids) GB.toast(t('keys.verifying', { n: ids ? GB.num(n) : '…' }));
    return GB.busy(btn, GB.api('POST', '/api/keys/verify', body)).then(function (rep) {
      if (rep.results.length === 1) {
        var r = rep.results[0];
        if (r.valid) GB.toast(t('keys.verify.ok', { key: r.key }), 'ok');
        else GB.toast(t('keys.verify.bad', { key: r.key, error: (r.status ? r.status + ' ' : '') + (r.reason ? r.reason + ': ' : '') + r.error }), 'error');
      } else {
        var msg = t('keys.verified', { n: GB.num(rep.results.length), valid: GB.num(rep.valid), invalid: GB.num(rep.invalid) });
        (rep.groups || []).slice(0, 3).forEach(function (g) { msg += ' · ' + g.count + '× ' + (g.status || '') + ' ' + g.error; });
        GB.toast(msg, rep.invalid ? 'error' : 'ok');
      }
      return refreshAll();
    });
  }

  function reset(ids, btn) {
    return GB.busy(btn, GB.api('POST', '/api/keys/reset', { ids: ids })).then(function (r) {
      GB.toast(t('keys.reset.done', { n: GB.num(r.reset) }), 'ok');
      return refreshAll();
    });
  }

  function del(ids, btn) {
    var q = ids.length === 1 ? t('keys.delete.one', { key: maskedOf(ids[0]) }) : t('keys.delete.ask', { n: GB.num(ids.length) });
    return GB.confirm(q, t('action.delete')).then(function (ok) {
      if (!ok) return;
      return GB.busy(btn, GB.api('POST', '/api/keys/delete', { ids: ids })).then(function (r) {
        ids.forEach(function (id) { selected.delete(id); revealed.delete(id); });
        GB.toast(t('keys.delete.done', { n: GB.num(r.deleted) }), 'ok');
        lastKeys = '';
        return refreshAll();
      });
    });
  }

  $('key-rows').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-act]');
    if (!b) return;
    var id = b.getAttribute('data-id'), act = b.getAttribute('data-act');
    var p;
    switch (act) {
      case 'sel':
        if (b.checked) selected.set(id, maskedOf(id)); else selected.delete(id);
        syncSelection();
        return;
      case 'reveal':
        p = GB.busy(b, reveal(id)).then(function (full) {
          revealed.set(id, full);
          lastKeys = '';
          GB.toast(t('keys.revealed'));
          return loadKeys(true);
        });
        break;
      case 'hide':
        revealed.delete(id);
        p = loadKeys(true);
        break;
      case 'copy':
        p = (revealed.has(id) ? Promise.resolve(revealed.get(id)) : reveal(id)).then(function (full) {
          return GB.copy(full).then(function () { GB.toast(t('keys.copiedfull'), 'ok'); });
        });
        break;
      case 'verify': p = verify([id], b); break;
      case 'reset': p = reset([id], b); break;
      case 'delete': p = del([id], b); break;
    }
    if (p) p.catch(GB.fail);
  });

  $('sel-page').addEventListener('change', function () {
    var on = this.checked;
    document.querySelectorAll('#key-rows input[data-act="sel"]').forEach(function (b) {
      var id = b.getAttribute('data-id');
      if (on) selected.set(id, maskedOf(id)); else selected.delete(id);
    });
    syncSelection();
  });

  $('bulkbar').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-bulk]');
    if (!b) return;
    var ids = Array.from(selected.keys());
    var p;
    switch (b.getAttribute('data-bulk')) {
      case 'verify': p = verify(ids, b); break;
      case 'reset': p = reset(ids, b); break;
      case 'delete': p = del(ids, b); break;
      case 'clear': selected.clear(); syncSelection(); return;
    }
    if (p) p.catch(GB.fail);
  });

  $('verify-benched').addEventListener('click', function () {
    var b = this;
    GB.confirm(t('keys.benchedq'), t('action.verify')).then(function (ok) {
      if (!ok) return;
      return verify(null, b, { all_benched: true }).catch(function (e) {
        if (e.code === 'no_keys') GB.toast(t('keys.nobenched')); else throw e;
      });
    }).catch(GB.fail);
  });

  // ---- filters and paging ----

  var form = $('key-filters');
  $('f-search').value = st.search;
  $('f-state').value = st.state;
  $('f-model').value = st.model;
  $('f-limit').value = st.limit;
  if ($('f-limit').value !== st.limit) { st.limit = '20'; $('f-limit').value = '20'; }
  form.addEventListener('submit', function (ev) { ev.preventDefault(); });
  var onFilter = function () {
    st.search = $('f-search').value.trim();
    st.state = $('f-state').value;
    st.model = $('f-model').value.trim();
    st.limit = $('f-limit').value;
    st.page = 1;
    save();
    loadKeys().catch(GB.fail);
  };
  $('f-search').addEventListener('input', GB.debounce(onFilter, 250));
  $('f-model').addEventListener('input', GB.debounce(onFilter, 400));
  $('f-state').addEventListener('change', onFilter);
  $('f-limit').addEventListener('change', onFilter);

  document.querySelectorAll('.count-btn[data-state]').forEach(function (b) {
    b.addEventListener('click', function () {
      $('f-state').value = b.getAttribute('data-state');
      onFilter();
      $('key-table').scrollIntoView({ block: 'start' });
    });
  });
  $('attention').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-search]');
    if (!b) return;
    $('f-search').value = b.getAttribute('data-search');
    $('f-state').value = 'all';
    onFilter();
    $('f-search').focus();
  });
  $('attention-status').addEventListener('change', function () { loadAttention().catch(GB.fail); });

  function goPage(n) {
    n = Math.max(1, Math.min(n, Math.max(totalPages, 1)));
    if (n === st.page) return;
    st.page = n;
    save();
    loadKeys().catch(GB.fail);
  }
  $('key-pager').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-page]');
    if (!b) return;
    var w = b.getAttribute('data-page');
    goPage(w === 'first' ? 1 : w === 'prev' ? st.page - 1 : w === 'next' ? st.page + 1 : totalPages);
  });
  $('key-page-input').addEventListener('change', function () {
    var n = parseInt(this.value, 10);
    if (n > 0) goPage(n);
  });

  document.querySelectorAll('.seg[data-range]').forEach(function (b) {
    b.addEventListener('click', function () {
      st.range = b.getAttribute('data-range');
      save();
      loadSeries().catch(GB.fail);
    });
  });

  // ---- add and export ----

  var addDlg = $('add-dialog');
  $('add-open').addEventListener('click', function () {
    $('add-result').textContent = '';
    addDlg.showModal();
    $('add-text').focus();
  });
  $('add-submit').addEventListener('click', function () {
    var text = $('add-text').value;
    if (!text.trim()) {
      $('add-result').textContent = t('add.empty');
      $('add-text').focus();
      return;
    }
    GB.busy(this, GB.api('POST', '/api/keys', { text: text })).then(function (r) {
      var msg = t('add.result', { added: GB.num(r.added), duplicate: GB.num(r.duplicate), malformed: GB.num(r.malformed), total: GB.num(r.total) });
      $('add-result').textContent = msg;
      GB.toast(msg, r.added ? 'ok' : '');
      if (r.added) $('add-text').value = '';
      lastKeys = '';
      return refreshAll();
    }).catch(GB.fail);
  });

  var expDlg = $('export-dialog');
  $('export-open').addEventListener('click', function () { expDlg.showModal(); });
  $('export-go').addEventListener('click', function () {
    var b = this;
    var fmt = (expDlg.querySelector('input[name="export-format"]:checked') || {}).value || 'text';
    var full = $('export-reveal').checked;
    (full ? GB.confirm(t('export.revealq'), t('export.download')) : Promise.resolve(true)).then(function (ok) {
      if (!ok) return;
      var q = new URLSearchParams({ format: fmt, state: st.state });
      if (st.search) q.set('search', st.search);
      if (st.model) q.set('model', st.model);
      if (full) q.set('reveal', 'true');
      return GB.busy(b, GB.api('GET', '/api/keys/export?' + q.toString())).then(function (d) {
        var text, n;
        if (typeof d === 'string') { text = d; n = d.split('\n').filter(Boolean).length; }
        else { text = JSON.stringify(d, null, 2); n = d.count; }
        var blob = new Blob([text], { type: fmt === 'json' ? 'application/json' : 'text/plain' });
        var a = el('a', { href: URL.createObjectURL(blob), download: 'gb-keys' + (full ? '' : '-masked') + '.' + (fmt === 'json' ? 'json' : 'txt') });
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        GB.toast(t('export.done', { n: GB.num(n) }), 'ok');
        expDlg.close();
      });
    }).catch(GB.fail);
  });

  // Models seen in the last 24 hours, as suggestions for the model
  // filter: asked for when the field is first used, not at page load.
  var suggested = false;
  $('f-model').addEventListener('focus', function () {
    if (suggested) return;
    suggested = true;
    GB.api('GET', '/api/stats/usage?period=24h&by=model&limit=50').then(function (d) {
      var dl = $('model-list');
      (d.rows || []).forEach(function (r) { if (r.model) dl.appendChild(el('option', { value: r.model })); });
    }).catch(function () { /* suggestions only */ });
  });

  // ---- auto-refresh ----

  var auto = $('auto-refresh');
  var refreshing = false;
  setInterval(function () {
    if (!auto.checked || refreshing || document.visibilityState !== 'visible') return;
    if (document.querySelector('dialog[open]')) return;
    refreshing = true;
    refreshAll().catch(function () { /* next tick retries */ }).then(function () { refreshing = false; });
  }, 10000);

  refreshAll().catch(GB.fail);
})();
