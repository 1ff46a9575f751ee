% rebase('layout')
<form method="get" action="/tickets" class="card row">
  <label>{{_('Status')}}<select name="status"><option value="">{{_('all')}}</option>
    % for s in statuses:
    <option value="{{s}}" {{'selected' if s == status else ''}}>{{_(status_labels[s])}}</option>
    % end
  </select></label>
  <button type="submit">{{_('Filter')}}</button>
</form>
<table id="tickets">
  <tr><th>{{_('Number')}}</th><th>{{_('Kind')}}</th><th>{{_('Source')}}</th><th>{{_('Caller')}}</th><th>{{_('Message or recording')}}</th>
      <th>{{_('Status')}}</th><th>{{_('Created')}}</th><th></th></tr>
  % for t in rows:
  <tr><td>{{t['number']}}</td><td>{{_(kinds[t['kind']])}}</td><td>{{t['source']}}</td><td>{{t['caller']}}</td>
      <td>{{t['text']}}
      % if t['id'] in playable:
      <br><audio controls preload="none" src="/tickets/{{t['id']}}/recording.wav"></audio>
      % elif t['recording']:
      <br><code class="meta">{{t['recording']}}</code> <span class="muted">{{_('(file missing)')}}</span>
      % end
      </td>
      <td>{{_(status_labels[t['status']])}}{{' · ' + t['handled_by'] if t['handled_by'] else ''}}</td>
      <td class="muted">{{ctx.when(t['created_at'], '%Y-%m-%d %H:%M')}}</td>
      <td>
      % if ctx.can('inbox'):
      <form method="post" action="/tickets/{{t['id']}}" class="row">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}">
        <select name="status">
          % for s in statuses:
          <option value="{{s}}" {{'selected' if s == t['status'] else ''}}>{{_(status_labels[s])}}</option>
          % end
        </select>
        <input name="resolution" value="{{t['resolution']}}">
        <button type="submit" class="secondary">{{_('Save')}}</button>
      </form>
      % end
      </td></tr>
  % end
</table>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
