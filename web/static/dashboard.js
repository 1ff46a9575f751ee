// Dashboard: keeps the numbers, the alarms, the box's health and the modems current from
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
    modems(data);
    document.getElementById('dashboard-updated').textContent = data.updated;
  }
  function cell(row, text, className) {
    var td = document.createElement('td');
    if (className) td.className = className;
    if (text !== undefined) td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function span(parent, text, className) {
    var s = document.createElement('span');
    s.className = className;
    s.textContent = text;
    parent.appendChild(s);
    return s;
  }
  // The modems table, row by row as dashboard.tpl draws it.
  function modems(data) {
    var body = document.getElementById('modem-rows');
    if (!body || !data.modems) return;
    items(body, data.modems.length ? data.modems : [null], function (m) {
      var tr = document.createElement('tr');
      if (m === null) {
        cell(tr, data.no_modems, 'muted').colSpan = 7;
        return tr;
      }
      tr.setAttribute('data-modem', m.port);
      cell(tr, m.port);
      span(cell(tr), m.state_text, 'state ' + m.state);
      cell(tr, m.sim);
      var network = cell(tr, m.operator + ' ');
      span(network, m.registration, 'muted');
      var signal = cell(tr), bars = span(signal, '', 'bars');
      bars.title = (m.signal || '-') + ' dBm';
      for (var i = 0; i < 5; i++) {
        var bar = document.createElement('i');
        if (i < m.bars) bar.className = 'on';
        bars.appendChild(bar);
      }
      signal.appendChild(document.createTextNode(' '));
      span(signal, m.signal, 'muted');
      cell(tr, m.sent_today, 'num');
      cell(tr, m.updated, 'muted');
      return tr;
    });
  }
  function poll() {
    fetch(box.getAttribute('data-live'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { show(data); setTimeout(poll, 3000); })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 3000);
})();
