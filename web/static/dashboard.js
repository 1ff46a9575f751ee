// Dashboard: keeps the numbers, the alarms and the box's health current from
// /dashboard.json without a reload (as voice.js does for campaigns). Texts come
// translated from the server and are set as text, never as HTML. A file of its own:
// the Content-Security-Policy forbids inline script.
(function () {
  var box = document.querySelector('#dashboard[data-live]');
  if (!box) return;
  function items(list, rows, make) {
    while (list.firstChild) list.removeChild(list.firstChild);
    rows.forEach(function (row) { list.appendChild(make(row)); });
  }
  function show(data) {
    Object.keys(data.numbers).forEach(function (name) {
      var field = box.querySelector('[data-field="' + name + '"]');
      if (field) field.textContent = data.numbers[name];
    });
    items(document.getElementById('alarms'), data.alarms.length ? data.alarms : [null], function (text) {
      var li = document.createElement('li');
      li.className = text === null ? 'muted' : 'alarm';
      li.textContent = text === null ? data.no_alarms : text;
      return li;
    });
    items(document.getElementById('health'), data.health, function (row) {
      var li = document.createElement('li'), b = document.createElement('b'), span = document.createElement('span');
      li.setAttribute('data-health', row.key);
      b.textContent = row.label;
      span.className = 'state ' + row.state;
      span.textContent = row.text;
      li.appendChild(b); li.appendChild(document.createTextNode(': ')); li.appendChild(span);
      return li;
    });
    document.getElementById('dashboard-updated').textContent = data.updated;
  }
  function poll() {
    fetch(box.getAttribute('data-live'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { show(data); setTimeout(poll, 3000); })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 3000);
})();
