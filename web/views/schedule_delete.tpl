% rebase('layout')
<section class="card" id="schedule-delete">
  <p>{{_('Delete the schedule "{name}"? Nothing more will be sent by it; messages it has already queued stay.').format(name=s['name'])}}</p>
  <p class="meta">{{when}} · {{target}}</p>
  <form method="post" action="/schedules/{{s['id']}}/delete" class="inline">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <button type="submit" class="danger" id="confirm-yes">{{_('Delete schedule')}}</button>
    <a class="button secondary" href="/schedules" id="confirm-no">{{_('Keep it')}}</a>
  </form>
</section>
