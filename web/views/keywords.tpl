% rebase('layout')
<table id="keywords">
  <tr><th>{{_('Keyword')}}</th><th>{{_('Action')}}</th><th>{{_('Template')}}</th><th>{{_('State')}}</th></tr>
  % for k in rows:
  <tr><td><code>{{k['keyword']}}</code></td><td>{{_(labels[k['action']])}}</td><td>{{k['template']}}</td>
      <td>{{_('enabled') if k['enabled'] else _('disabled')}}</td></tr>
  % end
</table>
% if ctx.can('campaigns'):
<form method="post" action="/keywords" class="card row" id="keyword-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Keyword')}}<input name="keyword" required></label>
  <label>{{_('Action')}}<select name="action">
    % for a in actions:
    <option value="{{a}}">{{_(labels[a])}}</option>
    % end
  </select></label>
  <label>{{_('Template')}}<input name="template"></label>
  <label>{{_('State')}}<select name="enabled"><option value="1">{{_('enabled')}}</option><option value="0">{{_('disabled')}}</option></select></label>
  <button type="submit">{{_('Save')}}</button>
</form>
% end
