% rebase('layout')
<div class="card">
  <p class="meta">{{_('From')}}: <b>{{ctx.mobile(m.from_number)}}</b>
  % if customer:
   · <a href="/customers/{{customer.id}}">{{customer.name}}</a>
  % end
   · {{ctx.when(m.received_at, '%Y-%m-%d %H:%M:%S')}} · <span class="state {{m.state}}">{{_(m.state)}}</span>
  % if m.handled_by:
   · {{_('by')}} {{m.handled_by}}
  % end
  </p>
  <div class="preview" id="inbound-text">{{m.text}}</div>
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
  <form method="post" action="/inbox/{{m.id}}/delete"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><button type="submit" class="danger" id="delete">{{_('Delete')}}</button></form>
</p>
