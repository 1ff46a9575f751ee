% rebase('layout')
<form method="get" action="/tickets/figures" class="card row" id="figures-form">
  <label>{{_('Figures')}}<select name="period" id="figures-period">
    % for code, label in periods.items():
    <option value="{{code}}" {{'selected' if form['period'] == code else ''}}>{{_(label)}}</option>
    % end
  </select></label>
  <label>{{_('First day')}}<input type="date" name="from" id="figures-from" value="{{form['from'] or (data['from'] if data else '')}}"></label>
  <label>{{_('Last day')}}<input type="date" name="to" id="figures-to" value="{{form['to'] or (data['to'] if data else '')}}"></label>
  <button type="submit">{{_('Filter')}}</button>
  % if data:
  <a href="{{csv_url}}" id="figures-csv">{{_('Export CSV')}}</a>
  % end
</form>
% if error:
<p class="flash error" id="figures-error">{{error}}</p>
% end
% if data:
<section class="card" id="chart-opened">
  <h2>{{_('Tickets opened and service level')}} · {{data['from']}} – {{data['to']}}</h2>
  <p class="meta"><span class="key-volume">■</span> {{_('Tickets opened')}} · <span class="key-rate">●</span> {{_('answered in time')}} ({{_('of those answered')}})</p>
  {{!svgs['chart-opened']}}
</section>
<section class="card" id="figures-table">
  <div class="table-scroll">
  <table>
    <thead><tr><th>{{_('Period')}}</th><th>{{_('Tickets opened')}}</th><th>{{_('Complaints')}}</th>
      % for code, label in sla_labels.items():
      <th>{{_(label)}}</th>
      % end
      <th>{{_('Not closed at the end')}}</th><th>{{_('of which past due')}}</th></tr></thead>
    <tbody>
    % for p in data['periods']:
    <tr id="period-{{p['label']}}"><td>{{p['label']}}<br><span class="meta">{{p['first']}} – {{p['last']}}</span></td>
      <td>{{p['opened']}}</td><td>{{p['complaints']}}</td>
      % for code in sla_labels:
      <td>{{p['sla'][code]}}</td>
      % end
      % if p['backlog']:
      <td>{{p['backlog']['open']}}</td><td>{{p['backlog']['past_due']}}</td>
      % else:
      <td>—</td><td>—</td>
      % end
    </tr>
    % end
    </tbody>
  </table>
  </div>
</section>
% for name, heading in titles.items():
<section class="card" id="{{name}}">
  <h2>{{_(heading)}}</h2>
  % if name == 'chart-backlog' and backlog:
  <p class="meta">{{_('Counted at')}} {{ctx.when(backlog['backlog']['at'])}} · {{_('Not closed at the end')}}: {{backlog['backlog']['open']}} · {{_('of which past due')}}: {{backlog['backlog']['past_due']}}</p>
  % end
  % if svgs[name]:
  {{!svgs[name]}}
  % else:
  <p class="muted">{{_('No tickets in these weeks or months.')}}</p>
  % end
</section>
% end
% end
