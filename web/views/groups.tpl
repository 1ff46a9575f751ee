% rebase('layout')
<table id="groups">
  <tr><th>{{_('Name')}}</th><th>{{_('Kind')}}</th><th>{{_('Rule')}}</th><th>{{_('Description')}}</th><th class="num">{{_('Members')}}</th></tr>
  % for g in rows:
  <tr><td><a href="/groups/{{g.id}}">{{g.name}}</a></td><td>{{_(g.kind)}}</td><td>{{_('{field}: {value}').format(field=_(g.rule), value=g.rule_value) if g.rule else _('hand-picked')}}</td><td>{{g.description}}</td>
      <td class="num">{{counts.get(g.id, '')}}</td></tr>
  % end
</table>
% if ctx.can('contacts'):
<form method="post" action="/groups" class="card row" id="group-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Name')}}<input name="name" required></label>
  <label>{{_('Kind')}}<select name="kind"><option value="customer">{{_('customer')}}</option><option value="staff">{{_('staff')}}</option></select></label>
  <label>{{_('Rule')}}<select name="rule"><option value="">{{_('hand-picked')}}</option>
    <option value="region">{{_('region')}}</option><option value="product">{{_('product')}}</option>
    <option value="department">{{_('department')}}</option><option value="branch">{{_('branch')}}</option></select></label>
  <label>{{_('Rule value')}}<input name="rule_value"></label>
  <label>{{_('Description')}}<input name="description"></label>
  <button type="submit">{{_('Create group')}}</button>
</form>
% end
