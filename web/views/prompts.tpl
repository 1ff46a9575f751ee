% rebase('layout')
<p class="meta">{{_('What callers hear in the IVR. Open a prompt to replace it with an upload or a recording, or to restore the default.')}}
 {{_('{n} replaced by an admin.').format(n=replaced)}}</p>
<div class="card restarts" id="rebuild" data-live="/prompts/rebuild.json">
  <p class="meta">{{_('After the company name or the hotline changed, rebuild the default prompts so that callers hear the new words.')}}</p>
  <p data-daemon="prompts"><b>{{_('Default prompts')}}</b>: <span class="restart {{rebuild['state']}}" data-field="text" id="rebuild-state">{{rebuild['text']}}</span></p>
  <form method="post" action="/prompts/rebuild" id="rebuild-form">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <button type="submit" id="rebuild-prompts">{{_('Rebuild the default prompts')}}</button>
  </form>
</div>
<script src="/static/restarts.js"></script>
<form method="get" action="/prompts" class="row" id="prompt-search">
  <label>{{_('Search')}}<input name="q" value="{{q}}" placeholder="{{_('name or text')}}"></label>
  <button type="submit">{{_('Search')}}</button>
</form>
<table id="prompt-list">
  <thead><tr><th>{{_('Prompt')}}</th><th>{{_('Mandarin')}}</th><th>{{_('English')}}</th></tr></thead>
  <tbody>
  % for row in rows:
  <tr id="prompt-{{row['name']}}">
    <td><a href="/prompts/{{row['name']}}"><code>{{row['name']}}</code></a></td>
    % for item in row['languages']:
    <td>
      % if item['state'] != 'n/a':
      <div lang="{{item['code']}}">{{item['text']}}</div>
      % end
      <span class="state {{'sending' if item['state'] == 'custom' else 'failed' if item['state'] == '' else ''}}">{{_(item['state_text'])}}</span>
      % if item['state'] == '':
      <a href="/prompts/{{row['name']}}#prompt-{{item['code']}}" class="prompt-fix">{{_('Upload or record it')}}</a>
      % end
      % if item['url']:
      <audio controls preload="none" src="{{item['url']}}" class="prompt-audio"></audio>
      % end
    </td>
    % end
  </tr>
  % end
  </tbody>
</table>
% if not rows:
<p>{{_('No prompt matches.')}}</p>
% end
