% rebase('layout')
<form method="get" action="/customers" class="card row" id="customer-search">
  <label>{{_('Name, mobile, ID number or customer number')}}<input name="q" id="q" value="{{q}}"></label>
  <button type="submit">{{_('Search')}}</button>
  % if ctx.can('contacts'):
  <a class="button secondary" href="/customers/new" id="add-customer">{{_('Add customer')}}</a>
  % end
</form>
<p class="meta">{{_('Or the last 4 digits of a mobile or of an ID number.')}}</p>
<div class="table-scroll">
<table id="customers">
  <tr><th>{{_('Full name')}}</th><th>{{_('Customer no.')}}</th><th>{{_('Mobile')}}</th><th>{{_('ID number')}}</th><th>{{_('Region')}}</th><th>{{_('Opted out')}}</th></tr>
  % for c in rows:
  <tr>
    <td><a href="/customers/{{c.id}}">{{c.name}}</a></td>
    <td>{{c.customer_no or ''}}</td>
    <td>{{ctx.mobile(c.mobile)}}</td>
    <td>{{ctx.id_number(c.id_number)}}</td>
    <td>{{c.region}}</td>
    <td>{{_('yes') if c.opt_out else ''}}</td>
  </tr>
  % end
  % if not rows:
  <tr><td colspan="6" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('More')}} →</a></p>
% end
