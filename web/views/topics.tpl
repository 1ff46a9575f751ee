% rebase('layout')
<table id="topics">
  <tr><th>{{_('Code')}}</th><th>{{_('Name')}}</th><th>{{_('Description')}}</th><th class="num">{{_('Subscribers')}}</th></tr>
  % for t in rows:
  <tr><td><a href="/topics/{{t['code']}}"><code>{{t['code']}}</code></a></td><td>{{t['name']}}</td><td>{{t['description']}}</td>
      <td class="num">{{t['subscribers']}}</td></tr>
  % end
</table>
% if ctx.can('campaigns'):
<form method="post" action="/topics" class="card row" id="topic-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Code')}}<input name="code" required></label>
  <label>{{_('Name')}}<input name="name" required></label>
  <label>{{_('Description')}}<input name="description"></label>
  <button type="submit">{{_('Create topic')}}</button>
</form>
% end
