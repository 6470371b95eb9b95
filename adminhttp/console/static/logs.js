// The /logs page: error logs from GET /api/logs/errors with filters and
// paging (kept in the URL), a details panel with the full message and the
// recorded request body, and deletion of selected logs or of all of them.
(function () {
  'use strict';
  var GB = window.GB, t = GB.t, el = GB.el;
  var $ = function (id) { return document.getElementById(id); };

  var FILTERS = ['key_search', 'error_type', 'error_code_search', 'model', 'start_date', 'end_date', 'error_search'];
  var defaults = { page: '1', limit: '20' };
  FILTERS.forEach(function (f) { defaults[f] = ''; });
  var st = GB.params(defaults);
  st.page = Math.max(1, parseInt(st.page, 10) || 1);
  var selected = new Set();
  var total = 0, seq = 0, openId = null;
  var form = $('log-filters');

  function fill() {
    FILTERS.forEach(function (f) { form.elements[f].value = st[f]; });
    form.elements.limit.value = st.limit;
    if (form.elements.limit.value !== st.limit) { st.limit = '20'; form.elements.limit.value = '20'; }
  }
  function save() {
    var v = { page: st.page, limit: st.limit };
    FILTERS.forEach(function (f) { v[f] = st[f]; });
    GB.setParams(v, defaults);
  }
  function pages() { return Math.max(1, Math.ceil(total / parseInt(st.limit, 10))); }

  function load() {
    var my = ++seq;
    var limit = parseInt(st.limit, 10);
    var q = new URLSearchParams({ limit: limit, offset: (st.page - 1) * limit });
    FILTERS.forEach(function (f) { if (st[f]) q.set(f, st[f]); });
    $('log-table').setAttribute('aria-busy', 'true');
    return GB.api('GET', '/api/logs/errors?' + q.toString()).then(function (d) {
      if (my !== seq) return;
      $('log-table').setAttribute('aria-busy', 'false');
      total = d.total;
      if (st.page > 1 && (st.page - 1) * limit >= total && total > 0) {
        st.page = pages();
        save();
        return load();
      }
      render(d.logs || []);
      $('logs-total').textContent = t('logs.total', { n: GB.num(total) });
      $('log-page-info').textContent = t('pager.info', { page: GB.num(total ? st.page : 0), pages: GB.num(total ? pages() : 0), total: GB.num(total) });
      var pager = $('log-pager');
      pager.querySelector('[data-page="first"]').disabled = st.page <= 1;
      pager.querySelector('[data-page="prev"]').disabled = st.page <= 1;
      pager.querySelector('[data-page="next"]').disabled = st.page >= pages();
      pager.querySelector('[data-page="last"]').disabled = st.page >= pages();
      GB.ready('logs');
    }, function (e) {
      $('log-table').setAttribute('aria-busy', 'false');
      throw e;
    });
  }

  function render(logs) {
    var tb = $('log-rows');
    var frag = document.createDocumentFragment();
    if (!logs.length) {
      var filtered = FILTERS.some(function (f) { return st[f]; });
      frag.appendChild(el('tr', { className: 'empty' }, [el('td', { colspan: 8, text: t(filtered ? 'logs.nomatch' : 'logs.empty') })]));
    }
    logs.forEach(function (l) {
      var id = String(l.id), on = selected.has(id);
      frag.appendChild(el('tr', { 'data-id': id, className: on ? 'selected' : '' }, [
        el('td', { className: 'col-check', 'data-label': '' }, [el('input', { type: 'checkbox', 'data-id': id, 'data-act': 'sel', checked: on, 'aria-label': t('keys.sel.row', { key: '#' + id }) })]),
        el('td', { 'data-label': t('col.time'), text: GB.when(l.request_time) }),
        el('td', { 'data-label': t('col.key') }, [el('code', { text: l.gemini_key || '—' })]),
        el('td', { 'data-label': t('logs.type'), text: l.error_type || '—' }),
        el('td', { className: 'num', 'data-label': t('logs.code') }, [el('strong', { className: l.error_code >= 500 || l.error_code === 0 ? 'bad' : l.error_code === 429 ? 'warn' : '', text: String(l.error_code) })]),
        el('td', { 'data-label': t('logs.model'), text: l.model_name || '—' }),
        el('td', { 'data-label': t('col.message') }, [el('div', { className: 'errmsg', text: l.message })]),
        el('td', { className: 'actions', 'data-label': t('col.actions') }, [
          el('button', { type: 'button', className: 'btn small', 'data-id': id, 'data-act': 'open', 'aria-label': t('logs.open', { id: id }), text: t('action.details') })
        ])
      ]));
    });
    tb.replaceChildren(frag);
    syncSelection();
  }

  function syncSelection() {
    $('logs-delete').disabled = selected.size === 0;
    $('logs-delete').textContent = t('logs.deletesel') + (selected.size ? ' (' + selected.size + ')' : '');
    var boxes = document.querySelectorAll('#log-rows input[data-act="sel"]');
    var all = boxes.length > 0, some = false;
    boxes.forEach(function (b) {
      var on = selected.has(b.getAttribute('data-id'));
      b.checked = on;
      b.closest('tr').classList.toggle('selected', on);
      all = all && on; some = some || on;
    });
    $('log-sel-page').checked = all;
    $('log-sel-page').indeterminate = some && !all;
  }

  function openDetails(id, opener) {
    return GB.busy(opener, GB.api('GET', '/api/logs/errors/' + encodeURIComponent(id) + '/details')).then(function (d) {
      openId = String(d.id);
      var meta = $('log-meta');
      var kv = [[t('logs.id'), '#' + d.id], [t('col.time'), GB.when(d.request_time)], [t('col.key'), d.gemini_key || '—'],
        [t('logs.type'), d.error_type || '—'], [t('logs.code'), String(d.error_code)], [t('logs.model'), d.model_name || '—']];
      meta.replaceChildren.apply(meta, kv.reduce(function (acc, p) { acc.push(el('dt', { text: p[0] }), el('dd', { text: p[1] })); return acc; }, []));
      $('log-msg').textContent = d.error_log || d.message || '';
      $('log-body').textContent = d.request_msg || t('logs.nobody');
      $('log-dialog').showModal();
      $('log-dialog-close').focus({ preventScroll: true });
      $('log-dialog').scrollTop = 0;
    });
  }

  $('log-rows').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-act]');
    if (!b) return;
    var id = b.getAttribute('data-id');
    if (b.getAttribute('data-act') === 'sel') {
      if (b.checked) selected.add(id); else selected.delete(id);
      syncSelection();
      return;
    }
    openDetails(id, b).catch(GB.fail);
  });
  $('log-sel-page').addEventListener('change', function () {
    var on = this.checked;
    document.querySelectorAll('#log-rows input[data-act="sel"]').forEach(function (b) {
      if (on) selected.add(b.getAttribute('data-id')); else selected.delete(b.getAttribute('data-id'));
    });
    syncSelection();
  });

  function deleteIds(ids, btn) {
    return GB.confirm(t('logs.deleteq', { n: GB.num(ids.length) }), t('action.delete')).then(function (ok) {
      if (!ok) return false;
      return GB.busy(btn, GB.api('DELETE', '/api/logs/errors', { ids: ids.map(Number) })).then(function () {
        ids.forEach(function (id) { selected.delete(String(id)); });
        GB.toast(t('logs.deleted', { n: GB.num(ids.length) }), 'ok');
        return load().then(function () { return true; });
      });
    });
  }
  $('logs-delete').addEventListener('click', function () {
    deleteIds(Array.from(selected), this).catch(GB.fail);
  });
  $('log-dialog-delete').addEventListener('click', function () {
    var id = openId;
    $('log-dialog').close();
    if (id) deleteIds([id], null).catch(GB.fail);
  });
  $('logs-clear').addEventListener('click', function () {
    var b = this;
    GB.confirm(t('logs.clearq'), t('logs.clear')).then(function (ok) {
      if (!ok) return;
      return GB.busy(b, GB.api('DELETE', '/api/logs/errors/all')).then(function () {
        selected.clear();
        st.page = 1;
        save();
        GB.toast(t('logs.cleared'), 'ok');
        return load();
      });
    }).catch(GB.fail);
  });
  document.querySelectorAll('[data-copy]').forEach(function (b) {
    b.addEventListener('click', function () {
      GB.copy($(b.getAttribute('data-copy')).textContent).then(function () { GB.toast(t('common.copied'), 'ok'); }, GB.fail);
    });
  });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    FILTERS.forEach(function (f) { st[f] = form.elements[f].value.trim(); });
    st.limit = form.elements.limit.value;
    st.page = 1;
    selected.clear();
    save();
    load().catch(GB.fail);
  });
  form.addEventListener('reset', function () {
    setTimeout(function () {
      FILTERS.forEach(function (f) { st[f] = ''; });
      st.limit = form.elements.limit.value || '20';
      st.page = 1;
      save();
      load().catch(GB.fail);
    }, 0);
  });
  form.elements.limit.addEventListener('change', function () { form.requestSubmit(); });

  $('log-pager').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-page]');
    if (!b) return;
    var w = b.getAttribute('data-page');
    var n = w === 'first' ? 1 : w === 'prev' ? st.page - 1 : w === 'next' ? st.page + 1 : pages();
    n = Math.max(1, Math.min(n, pages()));
    if (n === st.page) return;
    st.page = n;
    save();
    load().catch(GB.fail);
  });

  fill();
  load().catch(GB.fail);
})();
