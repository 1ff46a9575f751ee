% rebase('layout')
<form method="get" action="/history" class="card row" id="history-filter">
  <label>{{_('State')}}<select name="state"><option value="">{{_('all')}}</option>
    % for s in states:
    <option value="{{s}}" {{'selected' if filters['state'] == s else ''}}>{{_(s)}}</option>
    % end
  </select></label>
  <label>{{_('Category')}}<select name="category"><option value="">{{_('all')}}</option>
    % for c in categories:
    <option value="{{c}}" {{'selected' if filters['category'] == c else ''}}>{{_(c)}}</option>
    % end
  </select></label>
  <label>{{_('To mobile')}}<input name="to" value="{{filters['to']}}"></label>
  <label>{{_('From date')}}<input name="since" type="date" value="{{filters['since']}}"></label>
  <label>{{_('To date')}}<input name="until" type="date" value="{{filters['until']}}"></label>
  <button type="submit">{{_('Filter')}}</button>
  <a href="{{csv_url}}" id="history-csv">{{_('Export CSV')}}</a>
</form>
% if error:
<p class="flash error">{{error}}</p>
% end
<div class="table-scroll">
<table id="history">
  <tr><th>#</th><th>{{_('Created')}}</th><th>{{_('To')}}</th><th>{{_('Text')}}</th><th>{{_('Parts')}}</th><th>{{_('State')}}</th><th>{{_('By')}}</th></tr>
  % for m in rows:
  <tr>
    <td><a href="/history/{{m['id']}}">{{m['id']}}</a></td>
    <td class="muted">{{ctx.when(m['created_at'], '%m-%d %H:%M')}}</td>
    <td>{{m['to_number']}}</td>
    <td>{{m['text'] if len(m['text']) <= 60 else m['text'][:60] + '…'}}</td>
    <td class="num">{{m['part_count']}}</td>
    <td><span class="state {{m['state']}}">{{_(m['state'])}}</span></td>
    <td class="muted">{{made_by(m)}}</td>
  </tr>
  % end
  % if not rows:
  <tr><td colspan="7" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
% if next_url:
<p class="pager"><a href="{{next_url}}" id="older">{{_('Older')}} →</a></p>
% end
