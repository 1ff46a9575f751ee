% rebase('layout')
<form method="get" action="/policies" class="card row">
  <label>{{_('Policy number or holder name')}}<input name="q" value="{{q}}"></label>
  <label>{{_('Status')}}<select name="status"><option value="">{{_('all')}}</option>
    % for st in statuses:
    <option value="{{st}}" {{'selected' if status == st else ''}}>{{_(st)}}</option>
    % end
  </select></label>
  <button type="submit">{{_('Search')}}</button>
</form>
<table id="policies">
  <tr><th>{{_('Policy no.')}}</th><th>{{_('Holder')}}</th><th>{{_('Product')}}</th><th>{{_('Status')}}</th><th class="num">{{_('Premium')}}</th><th>{{_('Next due')}}</th></tr>
  % for p in rows:
  <tr><td><a href="/policies/{{p.id}}">{{p.policy_no}}</a></td><td><a href="/customers/{{p.holder_id}}">{{p.holder.name}}</a></td><td>{{p.product.name}}</td>
      <td><span class="state">{{_(p.status)}}</span></td><td class="num">{{p.premium}}</td><td>{{p.next_due_date or ''}}</td></tr>
  % end
  % if not rows:
  <tr><td colspan="6" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('More')}} →</a></p>
% end
