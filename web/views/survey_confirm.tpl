% rebase('layout')
<section class="card" id="survey-confirm">
  <h2>{{form['name']}}</h2>
  <p>{{_('Group')}}: {{group.name}} · {{_('Messages to send')}}: <b id="confirm-count">{{preview['recipients']}}</b> ·
     {{_('Skipped (opted out, do not disturb or no mobile)')}}: <b id="confirm-skipped">{{preview['skipped']}}</b> ·
     {{_('Cost')}}: <b id="confirm-cost">¥{{'%.2f' % preview['cost']}}</b></p>
  % if first:
  <p>{{_('First recipient')}}: <span id="confirm-first">{{first}}</span></p>
  <div class="preview" id="confirm-text">{{first_text}}</div>
  % end
  <p class="meta">{{_('Nothing is sent until you confirm.')}}</p>
  <form method="post" action="/surveys" class="inline">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    % for name in ('name', 'group', 'question', 'department'):
    <input type="hidden" name="{{name}}" value="{{form[name]}}">
    % end
    <button type="submit" id="confirm-yes">{{_('Send the survey')}}</button>
    <a class="button secondary" href="/surveys" id="confirm-no">{{_('Back to the list')}}</a>
  </form>
</section>
