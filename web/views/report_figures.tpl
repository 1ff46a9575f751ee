% rebase('layout')
<form method="get" action="/reports/{{name}}" class="card row report-form" id="report-form">
  <label>{{_('First day')}}<input type="date" name="from" id="report-from" value="{{form['from'] or (data['from'] if data else '')}}"></label>
  <label>{{_('Last day')}}<input type="date" name="to" id="report-to" value="{{form['to'] or (data['to'] if data else '')}}"></label>
  % if 'days' in extra:
  <label>{{_('Days after a reminder')}}<input type="number" min="0" max="365" name="days" id="report-days" value="{{form['days'] or (data['days'] if data else '')}}"></label>
  % end
  % if 'step' in extra:
  <label>{{_('Figures')}}<select name="step" id="report-step">
    % for code, label in steps.items():
    <option value="{{code}}" {{'selected' if (form['step'] or 'day') == code else ''}}>{{_(label)}}</option>
    % end
  </select></label>
  % end
  <button type="submit" id="report-submit">{{_('Filter')}}</button>
  % if data:
  <a href="{{csv_url}}" id="report-csv">{{_('Export CSV')}}</a>
  <a href="{{xlsx_url}}" id="report-xlsx">{{_('Export XLSX')}}</a>
  % end
</form>
% if error:
<p class="flash error" id="report-error">{{error}}</p>
% end
% if data:
% if name == 'letters':
<p class="meta" id="report-prices">{{_('Letter')}}: ¥{{price(data['letter_price'])}} · {{_('Call minute')}}: ¥{{price(data['call_price'])}} · {{_('E-mail')}}: ¥{{price(data['mail_price'])}}</p>
% end
% for n, (heading, svg) in enumerate(svgs):
<section class="card" id="report-chart-{{n}}">
  <h2>{{heading}}</h2>
  <div class="chart-pair">{{!svg}}</div>
</section>
% end
% for table in data['tables']:
<section class="card" id="table-{{table['name']}}">
  <h2>{{_(table['title'])}} · {{data['from']}} – {{data['to']}}</h2>
  % if table['rows']:
  <div class="table-scroll">
  <table>
    <thead><tr>
    % for key, heading, labels in table['columns']:
      <th>{{_(heading)}}</th>
    % end
    </tr></thead>
    <tbody>
    % for row in table['rows']:
    <tr>
      % for key, heading, labels in table['columns']:
      % value = row.get(key)
      <td data-key="{{key}}">{{_(labels[value]) if labels and value in labels else cell(value, key)}}</td>
      % end
    </tr>
    % end
    </tbody>
  </table>
  </div>
  % else:
  <p class="muted">{{_('Nothing in these days.')}}</p>
  % end
</section>
% end
% end
