// The import job page: polls the job's JSON and moves the progress bar; when the
// job ends, reloads the page so the box renders the result (report or row errors).
// A file of its own, not inline: the Content-Security-Policy forbids inline script.
(function () {
  var box = document.getElementById('import-job');
  if (!box) return;
  var state = box.getAttribute('data-state');
  if (state !== 'queued' && state !== 'running') return;
  function show(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value === null || value === undefined ? '' : value;
  }
  function poll() {
    fetch(box.getAttribute('data-json'), { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.state !== 'queued' && job.state !== 'running') { window.location.reload(); return; }
        document.getElementById('job-progress').value = job.percent;
        show('job-state', job.state_text);
        show('job-phase', job.phase_text);
        show('job-total', job.total);
        show('job-read', job.read);
        show('job-checked', job.checked);
        show('job-written', job.written);
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
