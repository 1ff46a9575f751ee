% rebase('layout')
% if error:
<p class="flash error">{{error}}</p>
% end
<div class="card">
  <p class="meta">{{_('Product')}}: {{p.product.name}} · {{_('Holder')}}: <a href="/customers/{{p.holder_id}}">{{p.holder.name}}</a>
   · {{_('Premium')}}: {{p.premium}} ({{_(p.frequency)}}) · {{_('Sum assured')}}: {{p.sum_assured}}
   · {{_('Issued')}}: {{p.issue_date or '-'}} · {{_('Agent')}}: {{p.agent.name if p.agent_id else '-'}}</p>
</div>
<form method="post" action="/policies/{{p.id}}" class="card row" id="policy-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Status')}}<select name="status">
    % for st in statuses:
    <option value="{{st}}" {{'selected' if p.status == st else ''}}>{{_(st)}}</option>
    % end
  </select></label>
  <label>{{_('Next due')}}<input type="date" name="next_due_date" value="{{p.next_due_date or ''}}"></label>
  % if ctx.can('contacts'):
  <button type="submit">{{_('Save')}}</button>
  % end
</form>
