% rebase('layout')
<div class="card">
  <p class="meta">{{_('To')}}: <b>{{ctx.mobile(m.to_number)}}</b> · {{_(m.category)}} · <span class="state {{m.state}}">{{_(m.state)}}</span>
   · {{_('Created')}} {{ctx.when(m.created_at, '%Y-%m-%d %H:%M:%S')}} · {{m.created_by or m.source}}</p>
  <div class="preview">{{m.text}}</div>
  % if m.failure_reason:
  <p class="flash error">{{m.failure_reason}}</p>
  % end
</div>
<table>
  <tr><th>{{_('Part')}}</th><th>{{_('State')}}</th><th>{{_('Modem')}}</th><th>{{_('Attempts')}}</th><th>{{_('Sent at')}}</th><th>{{_('Report')}}</th><th>{{_('Error')}}</th></tr>
  % for p in parts:
  <tr><td>{{p.seq}}</td><td><span class="state {{p.state}}">{{_(p.state)}}</span></td><td>{{p.modem}}</td><td class="num">{{p.attempts}}</td>
      <td class="muted">{{ctx.when(p.sent_at, '%m-%d %H:%M:%S') if p.sent_at else ''}}</td>
      <td class="muted">{{ctx.when(p.status_at, '%m-%d %H:%M:%S') if p.status_at else ''}}</td><td>{{p.error}}</td></tr>
  % end
</table>
% if m.state == 'queued' and ctx.can('send'):
<form method="post" action="/history/{{m.id}}/cancel" class="actions"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><button type="submit" class="danger">{{_('Cancel sending')}}</button></form>
% end
