% rebase('layout')
<section class="card" id="confirm">
  <p id="confirm-question">{{question}}</p>
  <form method="post" action="{{action}}" class="row">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <input type="hidden" name="confirmed" value="1">
    % for name, value in fields:
    <input type="hidden" name="{{name}}" value="{{value}}">
    % end
    <button type="submit" class="danger" id="confirm-yes">{{button}}</button>
    <a href="{{back}}" id="confirm-back">{{_('Back')}}</a>
  </form>
</section>
