// Recording an IVR prompt in the browser (the prompt page): microphone ->
// Web Audio -> 16-bit PCM WAV made here -> POSTed like an uploaded file; the
// box converts it to 8 kHz mono with sox and checks it. No inline script
// (the Content-Security-Policy forbids it) and nothing from the internet.
// MediaRecorder is not used: it makes WebM/Opus, which sox cannot read.
(function () {
  'use strict';

  function wavBlob(chunks, rate) {
    var length = 0;
    chunks.forEach(function (c) { length += c.length; });
    var buffer = new ArrayBuffer(44 + length * 2);
    var view = new DataView(buffer);
    function text(offset, s) { for (var i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); }
    text(0, 'RIFF'); view.setUint32(4, 36 + length * 2, true); text(8, 'WAVE');
    text(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 1, true);   // PCM
    view.setUint16(22, 1, true); view.setUint32(24, rate, true);                   // mono, rate
    view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    text(36, 'data'); view.setUint32(40, length * 2, true);
    var offset = 44;
    chunks.forEach(function (c) {
      for (var i = 0; i < c.length; i++, offset += 2) {
        var s = Math.max(-1, Math.min(1, c[i]));
        view.setInt16(offset, s < 0 ? s * 0x8000 : s * 0x7fff, true);
      }
    });
    return new Blob([view], { type: 'audio/wav' });
  }

  function setup(box) {
    var start = box.querySelector('[data-role=start]');
    var stop = box.querySelector('[data-role=stop]');
    var save = box.querySelector('[data-role=save]');
    var preview = box.querySelector('[data-role=preview]');
    var status = box.querySelector('[data-role=status]');
    var maxSeconds = parseFloat(box.dataset.maxSeconds) || 60;
    var audio = null, stream = null, node = null, chunks = [], rate = 0, blob = null, timer = null;

    function finish() {
      if (!audio) return;
      clearTimeout(timer);
      stream.getTracks().forEach(function (t) { t.stop(); });
      node.disconnect();
      audio.close();
      audio = null;
      blob = wavBlob(chunks, rate);
      var seconds = chunks.reduce(function (n, c) { return n + c.length; }, 0) / rate;
      if (preview.src) URL.revokeObjectURL(preview.src);
      preview.src = URL.createObjectURL(blob);
      preview.hidden = false;
      status.textContent = box.dataset.msgRecorded.replace('{seconds}', seconds.toFixed(1));
      start.disabled = false; stop.disabled = true; save.disabled = false;
    }

    start.addEventListener('click', function () {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.AudioContext) {
        status.textContent = box.dataset.msgUnavailable;
        return;
      }
      start.disabled = true; save.disabled = true;
      navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false,
                                                     noiseSuppression: false, autoGainControl: false } })
        .then(function (s) {
          stream = s; chunks = [];
          audio = new AudioContext();
          rate = audio.sampleRate;
          var source = audio.createMediaStreamSource(stream);
          // ScriptProcessorNode is deprecated but everywhere; an AudioWorklet
          // would need a second file for 8 lines of copying.
          node = audio.createScriptProcessor(4096, 1, 1);
          node.onaudioprocess = function (e) { chunks.push(new Float32Array(e.inputBuffer.getChannelData(0))); };
          source.connect(node);
          node.connect(audio.destination);  // it only runs when connected; its output is silence
          stop.disabled = false;
          status.textContent = box.dataset.msgRecording;
          timer = setTimeout(finish, maxSeconds * 1000);
        })
        .catch(function (err) {
          start.disabled = false;
          status.textContent = box.dataset.msgDenied + ' (' + err.name + ')';
        });
    });

    stop.addEventListener('click', finish);

    save.addEventListener('click', function () {
      if (!blob) return;
      var form = new FormData();
      form.append('file', blob, 'recording.wav');
      form.append('source', 'browser');
      save.disabled = true;
      status.textContent = box.dataset.msgSaving;
      // The box answers with a redirect and a message for the next page: reload to show it.
      fetch(box.dataset.action, { method: 'POST', body: form, credentials: 'same-origin', redirect: 'manual',
                                  headers: { 'X-CSRF-Token': box.dataset.csrf } })
        .then(function (r) {
          if (r.type === 'opaqueredirect' || r.ok) { window.location.assign(window.location.pathname); return; }
          status.textContent = box.dataset.msgFailed + ' (' + r.status + ')';
          save.disabled = false;
        })
        .catch(function (err) {
          status.textContent = box.dataset.msgFailed + ' (' + err.message + ')';
          save.disabled = false;
        });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('.recorder'), setup);
})();
