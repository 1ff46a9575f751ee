// The IVR editor (web/views/ivr_node.tpl): play the chosen prompt, and show only the
// fields the chosen action uses (a transfer's number, an announcement's next step).
// No inline script: the Content-Security-Policy forbids it.
(function () {
  'use strict';

  function setupPlay(form) {
    var select = form.querySelector('[data-role=prompt]');
    var button = form.querySelector('[data-role=play]');
    var status = form.querySelector('[data-role=play-status]');
    var audio = null;
    if (!select || !button) return;
    button.addEventListener('click', function () {
      if (audio) audio.pause();
      status.textContent = '';
      audio = new Audio('/prompts/' + encodeURIComponent(select.value) + '/' + button.dataset.lang + '.wav');
      audio.addEventListener('error', function () { status.textContent = button.dataset.missing; });
      audio.addEventListener('playing', function () { form.dataset.playing = select.value; });
      var started = audio.play();
      if (started && started.catch) started.catch(function () { status.textContent = button.dataset.missing; });
    });
  }

  function setupAction(form) {
    var action = form.querySelector('[data-role=action]');
    if (!action) return;
    function show() {
      form.querySelectorAll('[data-for-action]').forEach(function (el) {
        // style, not the hidden attribute: the layout's label rules would show it again
        el.style.display = el.dataset.forAction === action.value ? '' : 'none';
      });
    }
    action.addEventListener('change', show);
    show();
  }

  document.querySelectorAll('form.ivr-entry').forEach(function (form) {
    setupPlay(form);
    setupAction(form);
  });
})();
