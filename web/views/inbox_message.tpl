% rebase('layout')
<div class="card">
  <p class="meta">{{_('From')}}: <b>{{ctx.mobile(m.from_number)}}</b>
  % if customer:
   · <a href="/customers/{{customer.id}}">{{customer.name}}</a>
  % end
  </p>
  <ol class="conversation" id="conversation">
  % for direction, at, e in entries:
    <li class="{{direction}} {{'here' if direction == 'in' and e.id == m.id else ''}}" data-direction="{{direction}}">
      <div class="bubble">{{e.text}}</div>
      <span class="meta">{{ctx.when(at, '%Y-%m-%d %H:%M')}} · <span class="state {{e.state}}">{{_(e.state)}}</span>
      % if direction == 'in' and e.handled_by:
       · {{_('by')}} {{e.handled_by}}
      % elif direction == 'out':
       · {{made_by(e)}}
      % end
      % if direction == 'in' and e.id in tickets:
       · <a href="{{ticket_href(tickets[e.id])}}" class="ticket-link">{{_('Ticket {number}').format(number=tickets[e.id].number)}}</a>
      % end
      </span>
    </li>
  % end
  </ol>
</div>
<div class="row top">
<form method="post" action="/inbox/{{m.id}}/reply" class="card grow1" id="reply-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <h2>{{_('Reply')}}</h2>
  <label>{{_('Text')}}<textarea name="text" id="reply-text" maxlength="2000" required></textarea></label>
  <button type="submit" id="reply">{{_('Send reply')}}</button>
</form>
<form method="post" action="/inbox/{{m.id}}/forward" class="card grow1" id="forward-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <h2>{{_('Forward')}}</h2>
  <label>{{_('To mobile')}}<input name="to" id="forward-to" required></label>
  <p class="meta">{{_('The text goes with the sender and the customer name, from the forward template.')}}</p>
  <button type="submit" id="forward">{{_('Forward')}}</button>
</form>
</div>
<p class="actions">
  <form method="post" action="/inbox/{{m.id}}/handled"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><button type="submit" class="secondary" id="handled">{{_('Mark handled')}}</button></form>
  <a class="button danger" href="/inbox/{{m.id}}/delete" id="delete">{{_('Delete')}}</a>
</p>
