% rebase('layout')
<p class="meta"><code>{{topic.code}}</code> · {{topic.description}}</p>
<table id="subscribers">
  <tr><th>{{_('Mobile')}}</th><th>{{_('Source')}}</th><th>{{_('Since')}}</th></tr>
  % for s in rows:
  <tr><td>{{ctx.mobile(s.number)}}</td><td>{{s.source}}</td><td class="muted">{{ctx.when(s.created_at, '%Y-%m-%d %H:%M')}}</td></tr>
  % end
</table>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
% if ctx.can('campaigns'):
<form method="post" action="/topics/{{topic.code}}/subscribers" class="card row" id="subscriber-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Mobile')}}<input name="number" required></label>
  <button type="submit" name="action" value="subscribe">{{_('Subscribe')}}</button>
  <button type="submit" name="action" value="unsubscribe" class="secondary">{{_('Unsubscribe')}}</button>
</form>
% end
