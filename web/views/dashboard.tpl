% rebase('layout')
<div id="dashboard" data-live="/dashboard.json">
<p class="meta">{{_('Updated')}} <span id="dashboard-updated">{{updated}}</span></p>
<div class="grid">
  <div class="stat" id="queue-depth"><b data-field="queue">{{numbers['queue']}}</b><span>{{_('Waiting to be sent')}}</span></div>
  <div class="stat"><b data-field="sent">{{numbers['sent']}}</b><span>{{_('Sent today')}}</span></div>
  <div class="stat"><b data-field="delivered">{{numbers['delivered']}}</b><span>{{_('Delivered today')}}</span></div>
  <div class="stat"><b data-field="failed">{{numbers['failed']}}</b><span>{{_('Failed today')}}</span></div>
  <div class="stat"><b data-field="new_inbox">{{numbers['new_inbox']}}</b><span><a href="/inbox">{{_('New in the inbox')}}</a></span></div>
  % if 'calls' in numbers:
  <div class="stat"><b data-field="calls">{{numbers['calls']}}</b><span>{{_('Calls today')}}</span></div>
  % end
</div>
<h2>{{_('Sending capacity')}}</h2>
<p class="card" id="capacity">{{capacity}}</p>
<p id="forecast-note">{{forecast[1]}}</p>
% if forecast[0]:
<table id="forecast">
  <tr><th>{{_('Date')}}</th><th class="num">{{_('Service notices (parts)')}}</th><th class="num">{{_('Greetings (parts)')}}</th><th class="num">{{_('Held')}}</th><th class="num">{{_('Greetings not sent on their date')}}</th></tr>
  % for f in forecast[0]:
  <tr><td>{{f['date']}}</td><td class="num">{{f['service']}}</td><td class="num">{{f['greetings']}}</td><td class="num">{{f['held']}}</td><td class="num">{{f['not_sent']}}</td></tr>
  % end
</table>
% end
<h2>{{_('Alarms')}}</h2>
<ul class="card" id="alarms">
  % for alarm in alarms:
  <li class="alarm">{{alarm}}</li>
  % end
  % if not alarms:
  <li class="muted">{{_('No alarms.')}}</li>
  % end
</ul>
<h2>{{_('Health of the box')}}</h2>
<ul class="card" id="health">
  % for row in health:
  <li data-health="{{row['key']}}"><b>{{row['label']}}</b>: <span class="state {{row['state']}}">{{row['text']}}</span></li>
  % end
</ul>
</div>
<script src="/static/dashboard.js"></script>
% if boxes:
<h2>{{_('Boxes on this database')}}</h2>
<div class="table-scroll">
<table id="boxes">
  <tr><th>{{_('Box')}}</th><th>{{_('State')}}</th><th>{{_('Last heartbeat')}}</th><th>{{_('Firmware')}}</th></tr>
  % for b in boxes:
  <tr>
    <td>{{b['name']}}</td>
    <td><span class="state {{'ok' if b['alive'] else 'fail'}}">{{_('Alive') if b['alive'] else _('Silent')}}</span></td>
    <td class="muted">{{ctx.when(b['last_beat'], '%H:%M:%S')}}</td>
    <td class="muted">{{b['version'] or '-'}}</td>
  </tr>
  % end
</table>
</div>
% end
<h2>{{_('Modems')}}</h2>
<div class="table-scroll">
<table id="modems">
  <thead><tr><th>{{_('Port')}}</th><th>{{_('State')}}</th><th>{{_('SIM')}}</th><th>{{_('Network')}}</th><th>{{_('Signal')}}</th><th class="num">{{_('Sent today')}}</th><th>{{_('Last report')}}</th></tr></thead>
  <tbody id="modem-rows">
  % for m in modems:
  <tr data-modem="{{m['port']}}">
    <td>{{m['port']}}</td>
    <td><span class="state {{m['state']}}">{{m['state_text']}}</span></td>
    <td>{{m['sim']}}</td>
    <td>{{m['operator']}} <span class="muted">{{m['registration']}}</span></td>
    <td><span class="bars" title="{{m['signal'] or '-'}} dBm">{{!''.join('<i class="on"></i>' if i < m['bars'] else '<i></i>' for i in range(5))}}</span> <span class="muted">{{m['signal']}}</span></td>
    <td class="num">{{m['sent_today']}}</td>
    <td class="muted">{{m['updated']}}</td>
  </tr>
  % end
  % if not modems:
  <tr><td colspan="7" class="muted">{{_('No modems.')}}</td></tr>
  % end
  </tbody>
</table>
</div>
