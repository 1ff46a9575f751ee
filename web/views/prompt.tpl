% rebase('layout')
<p class="meta"><a href="/prompts">{{_('IVR prompts')}}</a> › {{row['name']}}</p>
% for item in [i for i in row['languages'] if i['state'] != 'n/a']:
<section class="card prompt-language" id="prompt-{{item['code']}}">
  <h2>{{_(item['label'])}} <span class="state {{'sending' if item['state'] == 'custom' else 'failed' if item['state'] == '' else ''}}">{{_(item['state_text'])}}</span></h2>
  <p class="preview">{{item['text']}}</p>
  % if item['url']:
  <p>{{_('Callers hear')}}: <audio controls preload="metadata" src="{{item['url']}}" class="prompt-audio"></audio></p>
  % end
  % if item['default_url']:
  <p>{{_('The default')}}: <audio controls preload="none" src="{{item['default_url']}}" class="prompt-audio"></audio></p>
  <form method="post" action="/prompts/{{row['name']}}/{{item['code']}}/restore" class="inline">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <button type="submit" class="secondary" id="restore-{{item['code']}}">{{_('Restore the default')}}</button>
  </form>
  % end
  <h3>{{_('Upload a replacement')}}</h3>
  <form method="post" action="/prompts/{{row['name']}}/{{item['code']}}" enctype="multipart/form-data" class="row" id="upload-{{item['code']}}">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <label>{{_('Audio file (WAV, MP3, OGG, FLAC; at most {mb} MB)').format(mb=max_mb)}}<input type="file" name="file" accept="audio/*,.wav,.mp3,.ogg,.flac" required></label>
    <button type="submit">{{_('Upload and replace')}}</button>
  </form>
  <p class="meta">{{_('It is converted to 8 kHz 16-bit mono; unreadable, silent, too short or too long audio is refused and the prompt stays as it is.')}}</p>
  <h3>{{_('Record in the browser')}}</h3>
  <div class="recorder row" id="recorder-{{item['code']}}" data-action="/prompts/{{row['name']}}/{{item['code']}}" data-csrf="{{ctx.csrf}}" data-max-seconds="{{max_seconds}}" data-msg-recording="{{_('Recording… speak now, then press Stop.')}}" data-msg-recorded="{{_('Recorded {seconds} s. Listen, then save it or record again.')}}" data-msg-saving="{{_('Saving…')}}" data-msg-unavailable="{{_('This browser cannot record here (a microphone and HTTPS are needed).')}}" data-msg-denied="{{_('The microphone could not be opened')}}" data-msg-failed="{{_('Saving failed')}}">
    <button type="button" data-role="start">{{_('Record')}}</button>
    <button type="button" data-role="stop" class="secondary" disabled>{{_('Stop')}}</button>
    <audio controls data-role="preview" class="prompt-audio" hidden></audio>
    <button type="button" data-role="save" disabled>{{_('Save this recording')}}</button>
    <span data-role="status" class="meta" role="status"></span>
  </div>
  <p class="meta">{{_('Or record with the sound card of the box itself')}}: <code>{{'appliance prompts record {name} --lang {lang}'.format(name=row['name'], lang=item['code'])}}</code></p>
</section>
% end
<script src="/static/prompts.js"></script>
