// Voice campaigns: keeps the counts, rates and progress bars of the campaigns on the page
// current from the box's JSON (/voice.json, /voice/ID.json) without reloading, as the
// import job's page does. A file of its own: the Content-Security-Policy forbids inline script.
(function () {
  var box = document.querySelector('[data-live]');
  if (!box) return;
  function show(data) {
    Object.keys(data).forEach(function (id) {
      var scope = document.querySelectorAll('[data-campaign="' + id + '"]');
      Array.prototype.forEach.call(scope, function (el) {
        Array.prototype.forEach.call(el.querySelectorAll('[data-field]'), function (field) {
          var value = data[id][field.getAttribute('data-field')];
          if (value === undefined) return;
          if (field.tagName === 'PROGRESS') field.value = value; else field.textContent = value;
          if (field.classList.contains('state')) field.className = 'state ' + data[id].state_code;
        });
      });
    });
  }
  function poll() {
    fetch(box.getAttribute('data-live'), { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (data) { show(data); setTimeout(poll, 2000); })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
