% rebase('layout')
% def show(nodes):
<ul class="tree">
  % for n in nodes:
  <li>
    % if n['digit']:
    <span class="key">{{n['digit']}}</span>
    % end
    <a href="/ivr/{{n['id']}}">{{n['title'] or n['name']}}</a>
    <span class="muted">{{n['name']}} · {{_(n['action'])}} · {{n['prompt']}}</span>
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
