% rebase('layout')
<section class="card" id="campaign-cancel">
  <p>{{_('Cancel campaign “{name}”? The {left} message(s) not yet sent will not be sent. This cannot be undone.').format(name=campaign.name, left=left)}}</p>
  <form method="post" action="/campaigns/{{campaign.id}}/cancel" class="row">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <button type="submit" class="danger" id="campaign-cancel-yes">{{_('Cancel campaign')}}</button>
    <a href="/campaigns">{{_('Back')}}</a>
  </form>
</section>
