% rebase('layout')
<section class="card" id="ticket-confirm">
  <p>{{_('Ticket {number}').format(number=t['number'])}} · {{label(t['kind'])}} · {{t['caller']}}</p>
  % if step == 'close':
  <p>{{_('Close this ticket? Do it only once the customer has been told the answer.')}}</p>
  % else:
  <p>{{_('Return the answer to the department for re-handling? Say why.')}}</p>
  % end
  <form method="post" action="/tickets/{{t['id']}}/{{step}}" class="row">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <label class="grow2">{{_('What was said') if needs_text else _('Remark (optional)')}}<textarea name="text" id="confirm-text" {{'required' if needs_text else ''}}></textarea></label>
    <button type="submit" class="danger" id="confirm-yes">{{_(button)}}</button>
    <a href="/tickets/{{t['id']}}">{{_('Back')}}</a>
  </form>
</section>
