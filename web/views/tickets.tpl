% rebase('layout')
% if error:
<p class="flash error" id="tickets-error">{{error}}</p>
% end
<form method="get" action="/tickets" class="card row" id="tickets-filter">
  <label>{{_('Status')}}<select name="status" id="filter-status"><option value="">{{_('all')}}</option>
    % for s in statuses:
    <option value="{{s}}" {{'selected' if s == filters['status'] else ''}}>{{label(s)}}</option>
    % end
  </select></label>
  <label>{{_('Category')}}<select name="kind" id="filter-kind"><option value="">{{_('all')}}</option>
    % for k in kinds:
    <option value="{{k}}" {{'selected' if k == filters['kind'] else ''}}>{{label(k)}}</option>
    % end
  </select></label>
  <label>{{_('Source')}}<select name="source" id="filter-source"><option value="">{{_('all')}}</option>
    % for s in sources:
    <option value="{{s}}" {{'selected' if s == filters['source'] else ''}}>{{label(s)}}</option>
    % end
  </select></label>
  <label>{{_('Department')}}<select name="department" id="filter-department"><option value="">{{_('all')}}</option>
    % for d in departments:
    <option value="{{d.id}}" {{'selected' if str(d.id) == filters['department'] else ''}}>{{d.name}}</option>
    % end
  </select></label>
  <label>{{_('Handler')}}<input name="assignee" id="filter-assignee" value="{{filters['assignee']}}"></label>
  <label>{{_('Ticket or phone number, or its last digits')}}<input name="number" id="filter-number" value="{{filters['number']}}"></label>
  <label>{{_('Opened from')}}<input type="date" name="since" id="filter-since" value="{{filters['since']}}"></label>
  <label>{{_('Opened until')}}<input type="date" name="until" id="filter-until" value="{{filters['until']}}"></label>
  <label><input type="checkbox" name="overdue" value="1" id="filter-overdue" {{'checked' if filters['overdue'] else ''}}>{{_('Overdue only')}}</label>
  <button type="submit" id="filter">{{_('Filter')}}</button>
</form>
<div class="table-scroll">
<table id="tickets">
  <tr><th>{{_('Number')}}</th><th>{{_('Category')}}</th><th>{{_('Source')}}</th><th>{{_('Caller')}}</th>
      <th>{{_('Message or recording')}}</th><th>{{_('Status')}}</th><th>{{_('Department')}}</th><th>{{_('Due')}}</th><th>{{_('Created')}}</th></tr>
  % for t in rows:
  <tr data-ticket="{{t['id']}}"><td><a href="/tickets/{{t['id']}}">{{t['number']}}</a></td><td>{{label(t['kind'])}}</td>
      <td>{{label(t['source'])}}</td><td>{{t['caller']}}</td>
      <td>{{t['text'][:120]}}
      % if t['id'] in playable:
      <br><audio controls preload="none" src="/tickets/{{t['id']}}/recording.wav"></audio>
      % elif t['recording']:
      <br><code class="meta">{{t['recording']}}</code> <span class="muted">{{_('(file missing)')}}</span>
      % end
      </td>
      <td><span class="state {{t['status']}}">{{label(t['status'])}}</span>
      % if t['overdue']:
      <span class="state overdue">{{_('Overdue')}}</span>
      % end
      </td>
      <td>{{t['department']}}{{' · ' + t['assignee'] if t['assignee'] else ''}}</td>
      <td class="muted">{{ctx.when(t['due_at'], '%Y-%m-%d %H:%M') if t['due_at'] else ''}}</td>
      <td class="muted">{{ctx.when(t['created_at'], '%Y-%m-%d %H:%M')}}</td></tr>
  % end
</table>
</div>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
% if ctx.can('inbox'):
<h2>{{_('Open a ticket')}}</h2>
<form method="post" action="/tickets" class="card row" id="ticket-new">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Category')}}<select name="kind" id="new-kind"><option value="">–</option>
    % for k in kinds:
    <option value="{{k}}" {{'selected' if k == values.get('kind') else ''}}>{{label(k)}}</option>
    % end
  </select></label>
  <label>{{_('Customer phone number')}}<input name="caller" id="new-caller" value="{{values.get('caller', '')}}"></label>
  <label class="grow2">{{_('What the customer asked')}}<textarea name="text" id="new-text">{{values.get('text', '')}}</textarea></label>
  <button type="submit" id="new-open">{{_('Open ticket')}}</button>
</form>
% end
