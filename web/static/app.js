// Live preview on the send page: asks the box for encoding, part count and cost.
// No inline script (the Content-Security-Policy forbids it) and nothing from the internet.
(function () {
  var form = document.getElementById('send-form');
  if (!form) return;
  var timer = null;
  function refresh() {
    var data = new FormData(form);
    var body = new URLSearchParams();
    data.forEach(function (value, key) { body.append(key, value); });
    fetch('/send/preview', { method: 'POST', body: body, credentials: 'same-origin',
                             headers: { 'X-CSRF-Token': data.get('csrf') } })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        document.getElementById('preview-text').textContent = p.text;
        document.getElementById('preview-parts').textContent = p.parts;
        document.getElementById('preview-chars').textContent = p.units;
        document.getElementById('preview-encoding').textContent = p.encoding;
        document.getElementById('preview-recipients').textContent = p.recipients;
        document.getElementById('preview-cost').textContent = p.cost;
        document.getElementById('preview-error').textContent = p.error || '';
      })
      .catch(function () {});
  }
  form.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refresh, 200); });
  form.addEventListener('change', refresh);
  refresh();
})();
