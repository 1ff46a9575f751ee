% # The fields an entry's action needs, shared by the edit and the add forms: the prompt
% # (chosen from the prompt list, with play), the action, a transfer's number, an
% # announcement's next step. web/static/ivr.js hides the fields other actions do not use.
<label class="prompt-field">{{_('Prompt')}}<span class="prompt-pick">
  <select name="prompt" id="{{prefix}}-prompt" data-role="prompt">
    % names = [n for n, _t in prompts]
    % if values['prompt'] and values['prompt'] not in names:
    <option value="{{values['prompt']}}" selected>{{values['prompt']}}</option>
    % end
    % for name, text in prompts:
    <option value="{{name}}" {{'selected' if values['prompt'] == name else ''}}>{{text if len(text) <= 36 else text[:35] + '…'}} · {{name}}</option>
    % end
  </select>
  <button type="button" class="secondary" data-role="play" data-lang="{{ctx.lang}}" data-missing="{{_('This prompt has no audio file yet (build the prompts first).')}}">▶ {{_('Play')}}</button>
  <span class="muted" data-role="play-status"></span>
</span></label>
<label>{{_('Action')}}<select name="action" id="{{prefix}}-action" data-role="action">
  % for a in actions:
  <option value="{{a}}" {{'selected' if values['action'] == a else ''}}>{{action_word(a)}}</option>
  % end
</select></label>
<label data-for-action="transfer">{{_('Number to transfer to')}}<input name="transfer_number" id="{{prefix}}-number" value="{{values['transfer_number'] or ''}}" inputmode="numeric" placeholder="059187654321"></label>
<label data-for-action="announce">{{_('After the announcement')}}<select name="after_play" id="{{prefix}}-after">
  % for a in after_play:
  <option value="{{a}}" {{'selected' if values['after_play'] == a else ''}}>{{_(after_play_words[a])}}</option>
  % end
</select></label>
