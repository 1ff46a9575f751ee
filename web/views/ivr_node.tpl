% rebase('layout')
% if error:
<p class="flash error" id="ivr-error">{{error}}</p>
% end
<p class="meta"><a href="/ivr">{{_('IVR menus')}}</a>
% if parent:
 › <a href="/ivr/{{parent.id}}">{{parent.title or parent.name}}</a>
% end
</p>
<form method="post" action="/ivr/{{node.id}}" class="card" id="ivr-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Title')}}<input name="title" id="ivr-title" value="{{node.title}}"></label>
    <label>{{_('Prompt')}}<input name="prompt" id="ivr-prompt" value="{{node.prompt}}" required></label>
    <label>{{_('Action')}}<select name="action" id="ivr-action">
      % for a in actions:
      <option value="{{a}}" {{'selected' if node.action == a else ''}}>{{_(a)}}</option>
      % end
    </select></label>
    % if parent:
    <label>{{_('Keypad key')}}<select name="digit" id="ivr-digit">
      % for k in child_keys:
      <option value="{{k}}" {{'selected' if node.digit == k else ''}}>{{k}}</option>
      % end
    </select></label>
    % end
  </div>
  <div class="row">
    <label>{{_('Timeout (ms)')}}<input name="timeout_ms" id="ivr-timeout" value="{{node.timeout_ms}}"></label>
    <label>{{_('Retries')}}<input name="retries" id="ivr-retries" value="{{node.retries}}"></label>
    <label>{{_('When retries run out')}}<select name="fallback">
      % for f in fallbacks:
      <option value="{{f}}" {{'selected' if node.fallback == f else ''}}>{{_(f)}}</option>
      % end
    </select></label>
    <label>{{_('Order')}}<input name="position" value="{{node.position}}"></label>
    <label><input type="checkbox" name="enabled" value="1" {{'checked' if node.enabled else ''}}> {{_('enabled')}}</label>
  </div>
  <button type="submit" id="ivr-save">{{_('Save')}}</button>
</form>
% if node.action == 'menu':
<h2>{{_('Entries of this menu')}}</h2>
<table id="ivr-children">
  <tr><th>{{_('Keypad key')}}</th><th>{{_('Title')}}</th><th>{{_('Action')}}</th><th>{{_('Prompt')}}</th><th></th></tr>
  % for c in children:
  <tr><td><span class="key">{{c.digit}}</span></td><td><a href="/ivr/{{c.id}}">{{c.title or c.name}}</a></td><td>{{_(c.action)}}</td><td>{{c.prompt}}</td>
      <td><form method="post" action="/ivr/{{c.id}}/delete" class="inline"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><button type="submit" class="link">{{_('Delete')}}</button></form></td></tr>
  % end
</table>
<form method="post" action="/ivr/{{node.id}}/children" class="card row" id="ivr-child-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Keypad key')}}<select name="digit">
    % for k in child_keys:
    <option value="{{k}}" {{'selected' if child.get('digit') == k else ''}}>{{k}}</option>
    % end
  </select></label>
  <label>{{_('Name (letters, digits, _)')}}<input name="name" value="{{child.get('name', '')}}" required></label>
  <label>{{_('Title')}}<input name="title" value="{{child.get('title', '')}}"></label>
  <label>{{_('Prompt')}}<input name="prompt" value="{{child.get('prompt', '')}}" required></label>
  <label>{{_('Action')}}<select name="action">
    % for a in actions:
    <option value="{{a}}" {{'selected' if child.get('action') == a else ''}}>{{_(a)}}</option>
    % end
  </select></label>
  <button type="submit">{{_('Add entry')}}</button>
</form>
% end
