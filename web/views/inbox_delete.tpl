% rebase('layout')
<section class="card" id="delete-confirm">
  <h2>{{_('Message')}}</h2>
  <p class="meta">{{_('From')}}: <b>{{ctx.mobile(m.from_number)}}</b> · {{ctx.when(m.received_at, '%Y-%m-%d %H:%M')}}</p>
  <div class="preview">{{m.text}}</div>
  <p>{{_('The message leaves the inbox; the audit log and the reports keep it.')}}</p>
  <form method="post" action="/inbox/{{m.id}}/delete" class="inline">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <button type="submit" class="danger" id="confirm-yes">{{_('Delete')}}</button>
  </form>
  <a href="/inbox/{{m.id}}" id="confirm-no">{{_('Back')}}</a>
</section>
