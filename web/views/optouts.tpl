% rebase('layout')
<form method="get" action="/optouts" class="card row">
  <label>{{_('List')}}<select name="kind"><option value="">{{_('all')}}</option>
    % for k in kinds:
    <option value="{{k}}" {{'selected' if k == kind else ''}}>{{_(labels[k])}}</option>
    % end
  </select></label>
  <button type="submit">{{_('Filter')}}</button>
</form>
<table id="optouts">
  <tr><th>{{_('Mobile')}}</th><th>{{_('List')}}</th><th>{{_('Reason')}}</th><th>{{_('Source')}}</th><th>{{_('Since')}}</th><th></th></tr>
  % for o in rows:
  <tr><td>{{ctx.mobile(o.number)}}</td><td>{{_(labels[o.kind])}}</td><td>{{o.reason}}</td><td>{{o.source}}</td>
      <td class="muted">{{ctx.when(o.created_at, '%Y-%m-%d %H:%M')}}</td>
      <td>
      % if ctx.can('contacts'):
      <form method="post" action="/optouts" class="inline">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}"><input type="hidden" name="number" value="{{o.number}}">
        <input type="hidden" name="kind" value="{{o.kind}}">
        <button type="submit" name="action" value="remove" class="link">{{_('Remove')}}</button>
      </form>
      % end
      </td></tr>
  % end
</table>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
% if ctx.can('contacts'):
<form method="post" action="/optouts" class="card row" id="optout-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Mobile')}}<input name="number" required></label>
  <label>{{_('List')}}<select name="kind">
    % for k in kinds:
    <option value="{{k}}">{{_(labels[k])}}</option>
    % end
  </select></label>
  <label>{{_('Reason')}}<input name="reason"></label>
  <button type="submit" name="action" value="add">{{_('Add')}}</button>
</form>
% end
