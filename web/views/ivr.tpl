% rebase('layout')
% if error:
<p class="flash error" id="ivr-error">{{error}}</p>
% end
% def show(nodes):
<ul class="tree">
  % for n in nodes:
  <li>
    % if n['digit']:
    <span class="key">{{n['digit']}}</span>
    % end
    <a href="/ivr/{{n['id']}}">{{n['title'] or n['name']}}</a>
    <span class="muted">{{action_word(n['action'])}}{{(' ' + n['transfer_number']) if n['action'] == 'transfer' else ''}} · “{{prompt_text(n['prompt'])}}”</span>
    % if not n['enabled']:
    <span class="state failed">{{_('disabled')}}</span>
    % end
    % if n['children']:
    % show(n['children'])
    % end
  </li>
  % end
</ul>
% end
<div class="card" id="ivr-tree">
% if tree:
% show(tree)
% else:
<p>{{_('There is no menu yet.')}}</p>
<form method="post" action="/ivr/default"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><button type="submit">{{_('Create the default menu')}}</button></form>
% end
</div>
<p class="meta">{{_('Keys with a fixed meaning in every menu')}}:
% for key, meaning in reserved.items():
 <span class="key">{{key}}</span> {{_(meaning)}}
% end
</p>
<h2>{{_('Operator hours (key 0)')}}</h2>
<form method="post" action="/ivr/hours" class="card" id="ivr-hours">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <p class="meta">{{_('Within these hours key 0 reaches the operator; outside them callers hear the after-hours message.')}}</p>
  <fieldset class="days" id="ivr-days"><legend>{{_('Business days')}}</legend>
    % for number, label in weekdays:
    <label class="check"><input type="checkbox" name="day" value="{{number}}" {{'checked' if number in days else ''}}> {{_(label)}}</label>
    % end
  </fieldset>
  <div class="row">
    <label>{{_('Start time')}}<input type="time" name="start" id="ivr-start" value="{{start}}" required></label>
    <label>{{_('End time')}}<input type="time" name="end" id="ivr-end" value="{{end}}" required></label>
  </div>
  <button type="submit" id="ivr-hours-save">{{_('Save')}}</button>
</form>
