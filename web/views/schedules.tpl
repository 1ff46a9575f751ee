% rebase('layout')
<table id="schedules">
  <tr><th>{{_('Name')}}</th><th>{{_('Kind')}}</th><th>{{_('When')}}</th><th>{{_('Target')}}</th><th>{{_('Template')}}</th>
      <th>{{_('Category')}}</th><th>{{_('Next run')}}</th><th>{{_('Last run')}}</th><th>{{_('State')}}</th><th></th></tr>
  % for s in rows:
  <tr><td>{{s['name']}}</td>
      <td>{{_('recurring') if s['cron'] else _('one-off')}}</td>
      <td><code>{{s['cron'] or (ctx.when(s['run_at'], '%Y-%m-%d %H:%M') if s['run_at'] else '')}}</code>
      % if s['window']:
      <br><span class="meta">{{_('Window')}} {{s['window']}}</span>
      % end
      </td>
      <td>{{s['target']}}</td><td>{{s['template'] or _('(own text)')}}</td><td>{{_(s['category'])}}</td>
      <td class="muted">{{ctx.when(s['next_run_at'], '%Y-%m-%d %H:%M') if s['next_run_at'] else ''}}</td>
      <td class="muted">{{ctx.when(s['last_run_at'], '%Y-%m-%d %H:%M') if s['last_run_at'] else ''}}</td>
      <td>{{_('enabled') if s['enabled'] else _('disabled')}}</td>
      <td class="actions">
      % if ctx.can('campaigns'):
      <form method="post" action="/schedules/{{s['id']}}/enabled">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}">
        <input type="hidden" name="enabled" value="{{'0' if s['enabled'] else '1'}}">
        <button type="submit" class="secondary">{{_('Disable') if s['enabled'] else _('Enable')}}</button>
      </form>
      <form method="post" action="/schedules/{{s['id']}}/delete">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}">
        <button type="submit" class="secondary">{{_('Delete')}}</button>
      </form>
      % end
      </td></tr>
  % end
</table>
% if ctx.can('campaigns'):
<form method="post" action="/schedules" class="card" id="schedule-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  % if error:
  <p class="flash error" role="alert">{{error}}</p>
  % end
  <div class="row">
    <label>{{_('Name')}}<input name="name" value="{{form.get('name', '')}}" required></label>
    <label>{{_('Group')}}<select name="group"><option value="">—</option>
      % for g in groups:
      <option value="{{g.id}}" {{'selected' if str(g.id) == form.get('group') else ''}}>{{g.name}}</option>
      % end
    </select></label>
    <label>{{_('Subscription topic')}}<select name="topic"><option value="">—</option>
      % for t in topics:
      <option value="{{t.code}}" {{'selected' if t.code == form.get('topic') else ''}}>{{t.code}} {{t.name}}</option>
      % end
    </select></label>
    <label>{{_('Numbers')}}<input name="numbers" value="{{form.get('numbers', '')}}"></label>
  </div>
  <div class="row">
    <label>{{_('Cron expression (minute hour day month weekday)')}}<input name="cron" value="{{form.get('cron', '')}}"></label>
    <label>{{_('Or once at')}}<input type="datetime-local" name="run_at" value="{{form.get('run_at', '')}}"></label>
    <label>{{_('Send window')}}<input name="window" value="{{form.get('window', '')}}"></label>
    <label>{{_('Expires at')}}<input type="datetime-local" name="expires_at" value="{{form.get('expires_at', '')}}"></label>
  </div>
  <div class="row">
    <label>{{_('Template')}}<select name="template"><option value="">{{_('(own text)')}}</option>
      % for key in template_keys:
      <option value="{{key}}" {{'selected' if key == form.get('template') else ''}}>{{key}}</option>
      % end
    </select></label>
    <label>{{_('Category')}}<select name="category"><option value="">{{_('(as before)')}}</option>
      % for c in categories:
      <option value="{{c}}" {{'selected' if c == form.get('category') else ''}}>{{_(c)}}</option>
      % end
    </select></label>
    <label>{{_('Department')}}<input name="department" value="{{form.get('department', '')}}"></label>
  </div>
  <label>{{_('Text')}}<textarea name="text" rows="3">{{form.get('text', '')}}</textarea></label>
  <button type="submit">{{_('Save')}}</button>
</form>
% end
