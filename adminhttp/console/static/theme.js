// Applies the remembered theme before the page is painted (loaded
// synchronously in <head>): "light", "dark", or nothing to follow the
// system preference.
(function () {
  'use strict';
  try {
    var t = localStorage.getItem('gb-theme');
    if (t === 'light' || t === 'dark') document.documentElement.setAttribute('data-theme', t);
  } catch (e) { /* storage may be disabled */ }
})();
