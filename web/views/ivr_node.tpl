% rebase('layout')
% if error:
<p class="flash error" id="ivr-error">{{error}}</p>
% end
<p class="meta"><a href="/ivr">{{_('IVR menus')}}</a>
% if parent:
 › <a href="/ivr/{{parent.id}}">{{parent.title or parent.name}}</a>
% end
</p>
<form method="post" action="/ivr/{{node.id}}" class="card ivr-entry" id="ivr-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Title')}}<input name="title" id="ivr-title" value="{{node.title}}"></label>
    % include('ivr_fields', prefix='ivr', values=node.__data__)
    % if parent:
    <label>{{_('Keypad key')}}<select name="digit" id="ivr-digit">
      % for k in child_keys:
      % holder = taken.get(k)
      <option value="{{k}}" {{'selected' if node.digit == k else ''}} {{'disabled' if holder and node.digit != k else ''}}>{{k}}{{(' · ' + _('taken by {name}').format(name=holder.title or holder.name)) if holder else ''}}</option>
      % end
    </select></label>
    % end
  </div>
  <div class="row">
    <label>{{_('Timeout (ms)')}}<input name="timeout_ms" id="ivr-timeout" value="{{node.timeout_ms}}" inputmode="numeric"></label>
    <label>{{_('Retries')}}<input name="retries" id="ivr-retries" value="{{node.retries}}" inputmode="numeric"></label>
    <label>{{_('When retries run out')}}<select name="fallback">
      % for f in fallbacks:
      <option value="{{f}}" {{'selected' if node.fallback == f else ''}}>{{fallback_word(f)}}</option>
      % end
    </select></label>
    <label>{{_('Order')}}<input name="position" value="{{node.position}}" inputmode="numeric"></label>
    <label><input type="checkbox" name="enabled" value="1" {{'checked' if node.enabled else ''}}> {{_('enabled')}}</label>
  </div>
  <button type="submit" id="ivr-save">{{_('Save')}}</button>
</form>
% if node.action == 'menu':
<h2>{{_('Entries of this menu')}}</h2>
<div class="table-scroll">
<table id="ivr-children">
  <tr><th>{{_('Keypad key')}}</th><th>{{_('Title')}}</th><th>{{_('Action')}}</th><th>{{_('Prompt')}}</th><th></th></tr>
  % for c in children:
  <tr><td><span class="key">{{c.digit}}</span></td><td><a href="/ivr/{{c.id}}">{{c.title or c.name}}</a></td><td>{{action_word(c.action)}}{{(' ' + c.transfer_number) if c.action == 'transfer' else ''}}</td><td>{{prompt_text(c.prompt)}}</td>
      <td><form method="post" action="/ivr/{{c.id}}/delete" class="inline"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><button type="submit" class="link">{{_('Delete')}}</button></form></td></tr>
  % end
</table>
</div>
% if len(child_taken) >= len(child_keys):
<p class="meta" id="ivr-no-free-key">{{_('Every key of this menu is taken: disable or delete an entry to add another.')}}</p>
% else:
<form method="post" action="/ivr/{{node.id}}/children" class="card ivr-entry" id="ivr-child-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
  <label>{{_('Keypad key')}}<select name="digit" id="child-digit">
    % for k in child_keys:
    % holder = child_taken.get(k)
    <option value="{{k}}" {{'selected' if child.get('digit') == k else ''}} {{'disabled' if holder else ''}}>{{k}}{{(' · ' + _('taken by {name}').format(name=holder.title or holder.name)) if holder else ''}}</option>
    % end
  </select></label>
  <label>{{_('Name (letters, digits, _)')}}<input name="name" id="child-name" value="{{child.get('name', '')}}" required></label>
  <label>{{_('Title')}}<input name="title" id="child-title" value="{{child.get('title', '')}}"></label>
  % include('ivr_fields', prefix='child', values={'prompt': child.get('prompt', ''), 'action': child.get('action', 'menu'), 'transfer_number': child.get('transfer_number', ''), 'after_play': child.get('after_play', 'menu')})
  </div>
  <button type="submit" id="child-add">{{_('Add entry')}}</button>
</form>
% end
% end
<script src="/static/ivr.js"></script>
