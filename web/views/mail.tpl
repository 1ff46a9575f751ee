% rebase('layout')
<form method="get" action="/mail" class="card row" id="mail-filter">
  <label>{{_('State')}}<select name="state"><option value="">{{_('all')}}</option>
    % for s in states:
    <option value="{{s}}" {{'selected' if s == state else ''}}>{{_(labels[s])}}</option>
    % end
  </select></label>
  <button type="submit">{{_('Filter')}}</button>
</form>
<div class="table-scroll">
<table id="mail">
  <tr><th>#</th><th>{{_('Created')}}</th><th>{{_('To')}}</th><th>{{_('Customer')}}</th><th>{{_('Subject')}}</th><th>{{_('Category')}}</th><th>{{_('State')}}</th><th>{{_('Sent at')}}</th><th></th></tr>
  % for m in rows:
  <tr data-state="{{m.state}}">
    <td>{{m.id}}</td>
    <td class="muted">{{ctx.when(m.created_at, '%m-%d %H:%M')}}</td>
    <td><span lang="en">{{address(m.to_address)}}</span></td>
    <td>
      % if m.customer_id:
      <a href="/customers/{{m.customer_id}}">{{m.customer.name}}</a>
      % end
    </td>
    <td>{{m.subject}}</td>
    <td>{{_(m.category)}}</td>
    <td><span class="state {{m.state}}">{{_(labels[m.state])}}</span>
      % if m.failure_reason and m.state in ('failed', 'queued', 'unknown'):
      <br><span class="muted" lang="en">{{m.failure_reason}}</span>
      % end
    </td>
    <td class="muted">{{ctx.when(m.sent_at, '%m-%d %H:%M') if m.sent_at else ''}}</td>
    <td>
      % if ctx.can('send') and m.state in ('unknown', 'failed'):
      <form method="post" action="/mail/{{m.id}}/requeue" class="inline">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}">
        <button type="submit" class="link">{{_('Send again')}}</button>
      </form>
      % end
    </td>
  </tr>
  % end
  % if not rows:
  <tr><td colspan="9" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
