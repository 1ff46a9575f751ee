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
        document.getElementById('preview-encoding').textContent = p.encoding ? '(' + p.encoding + ')' : '';  // nothing before a text
        document.getElementById('preview-recipients').textContent = p.recipients;
        document.getElementById('preview-cost').textContent = p.cost;
        document.getElementById('preview-error').textContent = p.error || '';
      })
      .catch(function () {});
  }
  // The chosen template's fields: shown and sent; the others' hidden and disabled (not sent).
  function showTemplateFields() {
    var key = document.getElementById('template').value;
    var any = false;
    function forKey(el) { return (' ' + el.getAttribute('data-for') + ' ').indexOf(' ' + key + ' ') >= 0; }
    form.querySelectorAll('.var-field').forEach(function (el) {
      var on = key !== '' && forKey(el);
      el.hidden = !on;
      el.querySelector('input').disabled = !on;
      any = any || on;
    });
    form.querySelectorAll('.auto-var').forEach(function (el) {
      el.hidden = !(key !== '' && forKey(el));
      any = any || !el.hidden;
    });
    document.getElementById('template-fields').hidden = !any;
    document.getElementById('own-text').hidden = key !== '';
  }
  document.getElementById('template').addEventListener('change', showTemplateFields);
  // A common phrase goes in where the cursor is.
  var phrase = document.getElementById('phrase-insert');
  if (phrase) {
    phrase.addEventListener('change', function () {
      var text = document.getElementById('text');
      var at = text.selectionStart === undefined ? text.value.length : text.selectionStart;
      var end = text.selectionEnd === undefined ? at : text.selectionEnd;
      text.value = text.value.slice(0, at) + phrase.value + text.value.slice(end);
      text.selectionStart = text.selectionEnd = at + phrase.value.length;
      phrase.value = '';
      text.focus();
      refresh();
    });
  }
  form.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refresh, 200); });
  form.addEventListener('change', refresh);
  refresh();
})();
