// The schedule form's recurrence picker: only the fields the chosen "how often" uses are
// shown (the others are hidden and disabled, so they are not sent). Works without it too.
(function () {
  var repeat = document.getElementById('repeat');
  if (!repeat) return;
  var parts = document.querySelectorAll('#recurrence [data-repeat]');
  function show() {
    parts.forEach(function (part) {
      var on = part.getAttribute('data-repeat').split(' ').indexOf(repeat.value) >= 0;
      part.style.display = on ? '' : 'none';
      part.querySelectorAll('input').forEach(function (input) { input.disabled = !on; });
    });
  }
  repeat.addEventListener('change', show);
  show();
})();
