% rebase('layout')
<section class="card" id="voice-confirm">
  <p>{{_('Name')}}: <b>{{values['name']}}</b> · {{kind_label}}</p>
  <p>{{_('Numbers to call')}}: <b id="confirm-count">{{count}}</b> · {{_('First number')}}: <span id="confirm-first">{{first}}</span></p>
  <p>{{_('The first callee hears')}}:</p>
  <div class="preview" id="confirm-text">{{first_text}}</div>
  <p class="meta">{{_('Nothing is created until you confirm. A new campaign is a draft: nobody is called before it is started.')}}</p>
  <form method="post" action="/voice" class="row">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    % for key, value in values.items():
    % if key in ('numbers', 'text', 'script'):
    <textarea name="{{key}}" hidden>{{value}}</textarea>
    % else:
    <input type="hidden" name="{{key}}" value="{{value}}">
    % end
    % end
    <button type="submit" id="voice-create">{{_('Create campaign')}}</button>
    <button type="submit" class="secondary" formaction="/voice/back" id="voice-back">{{_('Back')}}</button>
  </form>
</section>
