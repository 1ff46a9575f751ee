% rebase('layout')
% if error:
<p class="flash error" id="departments-error">{{error}}</p>
% end
<div class="table-scroll">
<table id="departments">
  <tr><th>{{_('Department')}}</th><th>{{_('Head (told of overdue tickets)')}}</th><th class="num">{{_('Open tickets')}}</th>
  % if ctx.can('settings'):
  <th></th>
  % end
  </tr>
  % for d in rows:
  <tr data-department="{{d['name']}}"><td><a href="/tickets?department={{d['id']}}">{{d['name']}}</a></td>
    <td>{{d['head'] or _('(no head)')}}{{(' · ' + d['head_badge']) if d['head_badge'] else ''}}</td>
    <td class="num">{{d['open']}}</td>
    % if ctx.can('settings'):
    <td>
      <form method="post" action="/departments/head" class="row">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}"><input type="hidden" name="name" value="{{d['name']}}">
        <label>{{_('Badge no. of the new head')}}<input name="head" required></label>
        <button type="submit" class="secondary">{{_('Set head')}}</button>
      </form>
      <form method="post" action="/departments/remove">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}"><input type="hidden" name="name" value="{{d['name']}}">
        <button type="submit" class="danger">{{_('Remove')}}</button>
      </form>
    </td>
    % end
  </tr>
  % end
</table>
</div>
% if ctx.can('settings'):
<h2>{{_('Add a department')}}</h2>
<form method="post" action="/departments" class="card row" id="department-add">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Name')}}<input name="name" id="department-name" value="{{values.get('name', '')}}" required></label>
  <label>{{_('Badge no. of the head (optional)')}}<input name="head" id="department-head" value="{{values.get('head', '')}}"></label>
  <button type="submit" id="department-submit">{{_('Add department')}}</button>
</form>
% end
