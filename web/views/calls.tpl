% rebase('layout')
% if error:
<p class="flash error" id="calls-error" role="alert">{{error}}</p>
% end
<form method="get" action="/calls" class="card row" id="calls-filter">
  <label>{{_('Called from')}}<input type="date" name="since" id="filter-since" value="{{filters['since']}}"></label>
  <label>{{_('Called until')}}<input type="date" name="until" id="filter-until" value="{{filters['until']}}"></label>
  <label>{{_('Caller, or the last digits of the number')}}<input name="caller" id="filter-caller" value="{{filters['caller']}}"></label>
  <label>{{_('Outcome')}}<select name="outcome" id="filter-outcome"><option value="">{{_('all')}}</option>
    % for o in outcomes:
    <option value="{{o}}" {{'selected' if o == filters['outcome'] else ''}}>{{outcome_word(o)}}</option>
    % end
  </select></label>
  <label>{{_('Script')}}<select name="script" id="filter-script"><option value="">{{_('all')}}</option>
    % for s in scripts:
    <option value="{{s}}" {{'selected' if s == filters['script'] else ''}}>{{script_word(s)}}</option>
    % end
  </select></label>
  <button type="submit" id="filter">{{_('Filter')}}</button>
  <a class="button secondary" href="{{csv_url}}" id="calls-csv" download>{{_('Export CSV')}}</a>
</form>
<div class="table-scroll">
<table id="calls">
  <tr><th>{{_('Started')}}</th><th>{{_('Caller')}}</th><th>{{_('Script')}}</th><th>{{_('Outcome')}}</th>
      <th>{{_('Seconds')}}</th><th>{{_('Menu path')}}</th><th>{{_('Recording')}}</th></tr>
  % for c in rows:
  <tr data-call="{{c['id']}}"><td class="muted">{{ctx.when(c['started_at'], '%Y-%m-%d %H:%M:%S')}}</td>
      <td>{{c['caller_id']}}
      % if c['customer_id']:
      <br><a href="/customers/{{c['customer_id']}}" class="customer-link">{{_('Customer')}}</a>
      % end
      </td><td>{{script_word(c['script'])}}</td>
      <td><span class="state {{c['outcome']}}">{{outcome_word(c['outcome'])}}</span></td>
      <td class="num">{{'' if c['duration_s'] is None else round(c['duration_s'])}}</td>
      <td>{{' › '.join(titles.get(n, n) for n in c['path'])}}</td>
      <td>
      % if c['id'] in played:
      <audio controls preload="none" src="/tickets/{{played[c['id']]}}/recording.wav"></audio>
      <a href="/tickets/{{played[c['id']]}}">{{_('Ticket')}}</a>
      % end
      </td></tr>
  % end
</table>
</div>
% if not rows and not error:
<p class="muted" id="calls-none">{{_('No call records match.')}}</p>
% end
% if next_url:
<p class="pager"><a href="{{next_url}}" id="calls-older">{{_('Older')}} →</a></p>
% end
