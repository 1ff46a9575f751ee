% rebase('layout')
<section class="card" id="send-confirm">
  <p>{{_('Recipients')}}: <b id="confirm-count">{{preview['recipients']}}</b>
    % if preview['skipped']:
    · {{_('Left out (opted out, do not disturb or listed twice)')}}: <b id="confirm-skipped">{{preview['skipped']}}</b>
    % end
    % if mailed:
    · {{_('By e-mail')}}: <b id="confirm-mailed">{{mailed}}</b>
    % end
  </p>
  <p>{{_('Parts per message')}}: <b id="confirm-parts">{{sample['parts']}}</b> ·
     {{_('Parts in all')}}: <b id="confirm-total-parts">{{preview['parts']}}</b> ·
     {{_('Cost')}}: <b id="confirm-cost">{{cost}}</b></p>
  % if pace:
  <p id="confirm-pace">{{pace}}</p>
  % end
  <p>{{_('The first recipient ({number}) reads:').format(number=sample_to)}}</p>
  <div class="preview" id="confirm-text">{{sample['text']}}</div>
  <p class="meta">{{_('Nothing is queued until you confirm.')}}</p>
  <form method="post" action="/send" class="row">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <input type="hidden" name="confirmed" value="1">
    % for key, value in values.items():
    % if key == 'text':
    <textarea name="text" hidden>{{value}}</textarea>
    % elif value:
    <input type="hidden" name="{{key}}" value="{{value}}">
    % end
    % end
    <button type="submit" id="send-confirm-yes">{{_('Send to {n} recipient(s)').format(n=preview['recipients'])}}</button>
    <button type="submit" class="secondary" formaction="/send/back" id="send-back">{{_('Back')}}</button>
  </form>
</section>
