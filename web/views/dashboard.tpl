% rebase('layout')
% def capped(n):
%   return f"{cap}+" if n > cap else str(n)
% end
<div class="grid">
  <div class="stat" id="queue-depth"><b>{{capped(queue)}}</b><span>{{_('Waiting to be sent')}}</span></div>
  <div class="stat"><b>{{today['sent'] + today['delivered']}}</b><span>{{_('Sent today')}}</span></div>
  <div class="stat"><b>{{today['delivered']}}</b><span>{{_('Delivered today')}}</span></div>
  <div class="stat"><b>{{today['failed']}}</b><span>{{_('Failed today')}}</span></div>
  <div class="stat"><b>{{capped(new_inbox)}}</b><span><a href="/inbox">{{_('New in the inbox')}}</a></span></div>
  % if calls is not None:
  <div class="stat"><b>{{calls}}</b><span>{{_('Calls today')}}</span></div>
  % end
</div>
<h2>{{_('Alarms')}}</h2>
% if alarms:
<ul class="card" id="alarms">
  % for alarm in alarms:
  <li class="alarm">{{alarm}}</li>
  % end
</ul>
% else:
<p class="card">{{_('No alarms.')}}</p>
% end
<h2>{{_('Modems')}}</h2>
<table id="modems">
  <tr><th>{{_('Port')}}</th><th>{{_('State')}}</th><th>{{_('SIM')}}</th><th>{{_('Network')}}</th><th>{{_('Signal')}}</th><th class="num">{{_('Sent today')}}</th><th>{{_('Last report')}}</th></tr>
  % for m in modems:
  <tr>
    <td>{{m['port']}}</td>
    <td><span class="state {{m['state']}}">{{_(m['state'])}}</span></td>
    <td>{{m['sim_state'] or '-'}}</td>
    <td>{{m['operator'] or '-'}} <span class="muted">{{m['registration']}}</span></td>
    <td><span class="bars" title="{{m['signal_dbm'] if m['signal_dbm'] is not None else '-'}} dBm">{{!''.join('<i class="on"></i>' if i < m['bars'] else '<i></i>' for i in range(5))}}</span> <span class="muted">{{m['signal_dbm'] if m['signal_dbm'] is not None else ''}}</span></td>
    <td class="num">{{m['sent_today']}}</td>
    <td class="muted">{{ctx.when(m['updated_at'], '%H:%M:%S') if m['updated_at'] else ''}}</td>
  </tr>
  % end
  % if not modems:
  <tr><td colspan="7" class="muted">{{_('No modems.')}}</td></tr>
  % end
</table>
