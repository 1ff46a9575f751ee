% rebase('layout')
<form method="get" action="/audit" class="card row">
  <label>{{_('Who')}}<input name="actor" value="{{actor}}"></label>
  <label>{{_('Action starts with')}}<input name="action" value="{{action}}"></label>
  <button type="submit">{{_('Filter')}}</button>
</form>
<table id="audit">
  <tr><th>{{_('When')}}</th><th>{{_('Who')}}</th><th>{{_('What')}}</th><th>{{_('Target')}}</th><th>{{_('Detail')}}</th><th>{{_('From')}}</th></tr>
  % for a in rows:
  <tr><td class="muted">{{ctx.when(a.at, '%Y-%m-%d %H:%M:%S')}}</td><td>{{a.actor}}</td><td>{{words.audit_action(_, a.action)}}</td><td>{{words.audit_target(_, a.target)}}</td><td>{{words.audit_detail(_, a.detail)}}</td><td class="muted">{{a.source}}</td></tr>
  % end
</table>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
