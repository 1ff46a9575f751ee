% rebase('layout')
<p class="pager">
% for v in views:
  <a href="/inbox?view={{v}}" class="{{'button' if v == view else ''}}">{{ {'new': _('New'), 'handled': _('Handled'), 'all': _('All')}[v] }}</a>
% end
  <a href="{{csv_url}}" id="inbox-csv">{{_('Export CSV')}}</a>
</p>
<div class="table-scroll">
<table id="inbox">
  <tr><th>{{_('Received')}}</th><th>{{_('From')}}</th><th>{{_('Text')}}</th><th>{{_('State')}}</th><th></th></tr>
  % for m in rows:
  <tr>
    <td class="muted">{{ctx.when(m['received_at'], '%m-%d %H:%M')}}</td>
    <td>{{m['from_number']}}<br><span class="muted">{{names.get(m['customer_id'], '')}}</span></td>
    <td>{{m['text']}}
      % if m['id'] in tickets:
      <br><a href="{{ticket_href(tickets[m['id']])}}" class="ticket-link">{{_('Ticket {number}').format(number=tickets[m['id']].number)}}</a>
      % end
    </td>
    <td><span class="state {{m['state']}}">{{_(m['state'])}}</span></td>
    <td class="actions"><a href="/inbox/{{m['id']}}" title="{{_('Conversation')}}">{{_('Open')}}</a>
      % if m['state'] == 'new':
      <form method="post" action="/inbox/{{m['id']}}/handled"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><button class="link" type="submit">{{_('Handled')}}</button></form>
      % end
    </td>
  </tr>
  % end
  % if not rows:
  <tr><td colspan="5" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
