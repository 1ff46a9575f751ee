% rebase('layout')
<section class="card" id="schedule-delete">
  <p>{{question}}</p>
  <p class="meta">{{when}} · {{target}}</p>
  <form method="post" action="/schedules/{{s['id']}}/delete" class="inline">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <input type="hidden" name="confirmed" value="1">
    <button type="submit" class="danger" id="confirm-yes">{{_('Delete schedule')}}</button>
    <a class="button secondary" href="/schedules" id="confirm-no">{{_('Keep it')}}</a>
  </form>
</section>
