% rebase('layout')
<section class="card" id="voice-cancel">
  <p>{{_('Cancel campaign “{name}”? The {left} numbers not yet called will not be called. This cannot be undone.').format(name=report['name'], left=report['queued'])}}</p>
  <form method="post" action="/voice/{{report['id']}}/cancel" class="row">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <button type="submit" class="danger" id="voice-cancel-yes">{{_('Cancel campaign')}}</button>
    <a href="/voice/{{report['id']}}">{{_('Back')}}</a>
  </form>
</section>
