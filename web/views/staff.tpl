% rebase('layout')
<form method="get" action="/staff" class="card row">
  <label>{{_('Name, badge number or department')}}<input name="q" value="{{q}}"></label>
  <button type="submit">{{_('Search')}}</button>
</form>
<table id="staff">
  <tr><th>{{_('Badge no.')}}</th><th>{{_('Full name')}}</th><th>{{_('Mobile')}}</th><th>{{_('Department')}}</th><th>{{_('Status')}}</th></tr>
  % for s in rows:
  <tr><td>{{s.badge_no}}</td><td><a href="/staff/{{s.id}}">{{s.name}}</a></td><td>{{ctx.mobile(s.mobile)}}</td><td>{{s.department}}</td><td><span class="state">{{_(s.status)}}</span></td></tr>
  % end
  % if not rows:
  <tr><td colspan="5" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('More')}} →</a></p>
% end
