// Settings page: shows each daemon's restart ("apply now") as it happens, from
// /settings/restarts.json, without a reload; the prompts page its rebuild, from
// /prompts/rebuild.json. The web daemon itself may be among the restarted, so a
// failed poll is simply tried again. A file of its own: the
// Content-Security-Policy forbids inline script.
(function () {
  var box = document.querySelector('#restarts[data-live], #rebuild[data-live]');
  if (!box) return;
  function show(data) {
    Object.keys(data).forEach(function (name) {
      var row = box.querySelector('[data-daemon="' + name + '"] [data-field=text]');
      if (!row) return;
      row.textContent = data[name].text;
      row.className = 'restart ' + data[name].state;
    });
  }
  function poll() {
    fetch(box.getAttribute('data-live'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { show(data); setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 1000);
})();
