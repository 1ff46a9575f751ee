% rebase('layout')
<p class="meta">{{_(g.kind)}} · {{_('{field}: {value}').format(field=_(g.rule), value=g.rule_value) if g.rule else _('hand-picked')}} · {{_('Members')}}: {{total}}</p>
<table>
  <tr><th>{{_('Full name')}}</th><th>{{_('Mobile')}}</th></tr>
  % for r in members:
  <tr><td>{{r.variables.get('name', '')}}</td><td>{{ctx.mobile(r.number)}}</td></tr>
  % end
</table>
% if total > len(members):
<p class="muted">{{_('Only the first {n} are shown.').format(n=len(members))}}</p>
% end
% if ctx.can('contacts') and not g.rule:
<form method="post" action="/groups/{{g.id}}/members" class="card row">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Customer numbers, badge numbers or mobiles (comma separated)')}}<input name="keys" required></label>
  <label>{{_('Action')}}<select name="action"><option value="add">{{_('Add')}}</option><option value="remove">{{_('Remove')}}</option></select></label>
  <button type="submit">{{_('Save')}}</button>
</form>
% end
% if ctx.can('send'):
<p><a class="button" href="/send?mode=group">{{_('Send SMS')}}</a></p>
% end
