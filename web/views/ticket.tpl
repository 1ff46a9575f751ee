% rebase('layout')
<section class="card" id="ticket-summary" data-ticket="{{t['id']}}">
  <p><span class="state {{t['status']}}" id="ticket-status">{{label(t['status'])}}</span>
  % if t['overdue']:
  <span class="state overdue" id="ticket-overdue">{{_('Overdue')}}</span>
  % end
   · {{label(t['kind'])}} · {{label(t['source'])}} · {{_('Caller')}} <span id="ticket-caller">{{t['caller']}}</span></p>
  <p class="meta">{{_('Created')}} {{ctx.when(t['created_at'])}}
  % if t['due_at']:
   · {{_('Due')}} {{ctx.when(t['due_at'])}}
  % end
  % if t['department'] or t['assignee']:
   · {{_('Department')}} <span id="ticket-department">{{t['department']}}</span>
   · {{_('Handler')}} <span id="ticket-assignee">{{t['assignee']}}</span>
  % end
  </p>
  % if t['text']:
  <div class="preview" id="ticket-text">{{t['text']}}</div>
  % end
  % if playable:
  <p><audio controls preload="none" src="/tickets/{{t['id']}}/recording.wav" id="ticket-recording"></audio></p>
  % elif t['recording']:
  <p><code class="meta">{{t['recording']}}</code> <span class="muted">{{_('(file missing)')}}</span></p>
  % end
  % if sms:
  <p class="meta" id="ticket-sms">{{_('From the text message received')}} {{ctx.when(sms.received_at)}}: {{sms.text}}</p>
  % end
  % if t['resolution']:
  <p>{{_('Latest answer')}}: <span id="ticket-resolution">{{t['resolution']}}</span></p>
  % end
  % for h in handoffs:
  <p class="meta" id="ticket-where" data-direction="{{h.direction}}">
    % if h.direction == 'in':
    {{_('Handed over by {peer}, where its number is {number}; its changes go back there.').format(peer=h.peer, number=h.remote_number)}}
    % elif h.delivered_at:
    {{_('Handled at {peer} since {when}, where its number is {number}.').format(peer=h.peer, when=ctx.when(h.delivered_at), number=h.remote_number)}}
    % else:
    {{_('Waiting to be taken by {peer} ({count} failed tries; the latest: {error}).').format(peer=h.peer, count=h.attempts, error=h.last_error)}}
    % end
  </p>
  % end
</section>
% if ctx.can('inbox'):
<section class="card" id="ticket-actions">
  % for step in offered:
  % if step in confirmed:
  <p><a class="button danger" href="/tickets/{{t['id']}}/confirm/{{step}}" id="ticket-{{step}}">{{_(steps[step][0])}}</a></p>
  % else:
  <form method="post" action="/tickets/{{t['id']}}/{{step}}" class="row" id="form-{{step}}">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    % if step == 'assign':
    <label>{{_('Department')}}<select name="department" id="assign-department"><option value="">–</option>
      % for d in departments:
      <option value="{{d.id}}">{{d.name}}</option>
      % end
    </select></label>
    <label>{{_('Handler')}}<select name="assignee" id="assign-assignee"><option value="">–</option>
      % for name in people:
      <option value="{{name}}">{{name}}</option>
      % end
    </select></label>
    % end
    <label class="grow2">{{_(steps[step][0])}} · {{_('What was said') if steps[step][2] else _('Remark (optional)')}}<textarea name="text" id="{{step}}-text" {{'required' if steps[step][2] else ''}}></textarea></label>
    <button type="submit" id="ticket-{{step}}" class="{{'secondary' if step == 'note' else ''}}">{{_(steps[step][0])}}</button>
  </form>
  % end
  % end
  % if peers:
  <form method="post" action="/tickets/{{t['id']}}/handoff" class="row" id="form-handoff">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <label>{{_('Hand off to')}}<select name="peer" id="handoff-peer">
      % for name in peers:
      <option value="{{name}}">{{name}}</option>
      % end
    </select></label>
    <label class="grow2">{{_('Hand off')}} · {{_('Remark (optional)')}}<textarea name="text" id="handoff-text"></textarea></label>
    <button type="submit" id="ticket-handoff" class="secondary">{{_('Hand off')}}</button>
  </form>
  % end
</section>
% end
<h2>{{_('History')}}</h2>
<div class="table-scroll">
<table id="ticket-history">
  <tr><th>{{_('When')}}</th><th>{{_('Who')}}</th><th>{{_('Action')}}</th><th>{{_('Status')}}</th><th>{{_('What was said')}}</th></tr>
  % for e in events:
  <tr data-action="{{e['action']}}"><td class="muted">{{ctx.when(e['at'])}}</td><td>{{label(e['by'])}}</td>
      <td>{{_(event_labels[e['action']]) if e['action'] in event_labels else e['action']}}
      {{(' → ' + e['department']) if e['department'] else ''}}{{(' · ' + e['assignee']) if e['assignee'] else ''}}</td>
      <td>{{label(e['to_status']) if e['to_status'] else ''}}</td><td>{{e['text']}}</td></tr>
  % end
</table>
</div>
<h2>{{_("The customer's other tickets")}}</h2>
<div class="table-scroll">
<table id="ticket-others">
  <tr><th>{{_('Number')}}</th><th>{{_('Category')}}</th><th>{{_('Status')}}</th><th>{{_('Created')}}</th></tr>
  % for o in related['tickets']:
  <tr><td><a href="/tickets/{{o['id']}}">{{o['number']}}</a></td><td>{{label(o['kind'])}}</td>
      <td>{{label(o['status'])}}</td><td class="muted">{{ctx.when(o['created_at'])}}</td></tr>
  % end
</table>
</div>
<h2>{{_('Calls')}}</h2>
<div class="table-scroll">
<table id="ticket-calls">
  <tr><th>{{_('When')}}</th><th>{{_('Caller')}}</th><th>{{_('Outcome')}}</th></tr>
  % for c in related['calls']:
  <tr><td class="muted">{{ctx.when(c['started_at'])}}</td><td>{{c['caller_id']}}</td><td>{{_(outcomes.get(c['outcome'], c['outcome']))}}</td></tr>
  % end
</table>
</div>
<h2>{{_('Text messages')}}</h2>
<div class="table-scroll">
<table id="ticket-messages">
  <tr><th>{{_('When')}}</th><th>{{_('Direction')}}</th><th>{{_('Text')}}</th><th>{{_('State')}}</th></tr>
  % for m in related['received']:
  <tr><td class="muted">{{ctx.when(m['received_at'])}}</td><td>{{_('Received')}}</td><td>{{m['text']}}</td><td>{{_(m['state'])}}</td></tr>
  % end
  % for m in related['messages']:
  <tr><td class="muted">{{ctx.when(m['created_at'])}}</td><td>{{_('Sent')}}</td><td>{{m['text']}}</td><td>{{_(m['state'])}}</td></tr>
  % end
</table>
</div>
<p><a href="/tickets">{{_('Back')}}</a></p>
