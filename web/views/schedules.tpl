% rebase('layout')
% if not editing:
<div class="table-scroll">
<table id="schedules">
  <tr><th>{{_('Name')}}</th><th>{{_('When')}}</th><th>{{_('Sent to')}}</th><th>{{_('Template')}}</th>
      <th>{{_('Category')}}</th><th>{{_('Next run')}}</th><th>{{_('Last run')}}</th><th>{{_('State')}}</th><th></th></tr>
  % for s in rows:
  <tr data-schedule="{{s['id']}}"><td>{{s['name']}}</td>
      <td class="when">{{s['when_words']}}
      % if s['window']:
      <br><span class="meta">{{_('Window')}} {{s['window']}}</span>
      % end
      </td>
      <td class="target">{{s['target_words']}}</td><td>{{s['template_title'] or _('(own text)')}}</td><td>{{_(s['category'])}}</td>
      <td class="muted">{{ctx.when(s['next_run_at'], '%Y-%m-%d %H:%M') if s['next_run_at'] else ''}}</td>
      <td class="muted">{{ctx.when(s['last_run_at'], '%Y-%m-%d %H:%M') if s['last_run_at'] else ''}}</td>
      <td>{{_('enabled') if s['enabled'] else _('disabled')}}</td>
      <td class="actions">
      % if ctx.can('campaigns'):
      <a class="button secondary" href="/schedules/{{s['id']}}/edit" id="edit-{{s['id']}}">{{_('Edit')}}</a>
      <form method="post" action="/schedules/{{s['id']}}/enabled">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}">
        <input type="hidden" name="enabled" value="{{'0' if s['enabled'] else '1'}}">
        <button type="submit" class="secondary">{{_('Disable') if s['enabled'] else _('Enable')}}</button>
      </form>
      <a class="button secondary" href="/schedules/{{s['id']}}/delete" id="delete-{{s['id']}}">{{_('Delete')}}</a>
      % end
      </td></tr>
  % end
</table>
</div>
% end
% if ctx.can('campaigns'):
<form method="post" action="{{'/schedules/%d' % editing.id if editing else '/schedules'}}" class="card" id="schedule-form">
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
  <fieldset class="row" id="recurrence">
    <label>{{_('How often')}}<select name="repeat" id="repeat">
      % for code, words in repeats.items():
      <option value="{{code}}" {{'selected' if code == form.get('repeat', 'once') else ''}}>{{_(words)}}</option>
      % end
    </select></label>
    <label data-repeat="once">{{_('Day')}}<input type="date" name="date" id="date" value="{{form.get('date', '')}}"></label>
    <label data-repeat="monthly">{{_('Day of the month')}}<input type="number" min="1" max="31" name="monthday" id="monthday" value="{{form.get('monthday', '')}}"></label>
    <label data-repeat="once daily weekly monthly">{{_('Time')}}<input type="time" name="time" id="time" value="{{form.get('time', '')}}"></label>
    <label data-repeat="advanced">{{_('Cron expression (minute hour day month weekday)')}}<input name="cron" id="cron" value="{{form.get('cron', '')}}"></label>
    <div data-repeat="weekly" class="weekdays" id="weekdays">
      % for code, name in weekdays:
      <label><input type="checkbox" name="weekdays" value="{{code}}" id="weekday-{{code}}" {{'checked' if code in form.get('weekdays', []) else ''}}>{{_(name)}}</label>
      % end
    </div>
  </fieldset>
  <div class="row">
    <label>{{_('Send window')}}<input name="window" value="{{form.get('window', '')}}"></label>
    <label>{{_('Expires at')}}<input type="datetime-local" name="expires_at" value="{{form.get('expires_at', '')}}"></label>
  </div>
  <div class="row">
    <label>{{_('Template')}}<select name="template"><option value="">{{_('(own text)')}}</option>
      % for key, template_title in template_choices:
      <option value="{{key}}" {{'selected' if key == form.get('template') else ''}}>{{template_title}}</option>
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
  <button type="submit" id="schedule-save">{{_('Save')}}</button>
  % if editing:
  <a class="button secondary" href="/schedules">{{_('Back to the list')}}</a>
  % end
</form>
<script src="/static/schedules.js"></script>
% end
