% rebase('layout')
% if error:
<p class="flash error" id="settings-error" role="alert">{{error}}</p>
% end
% if path:
<p class="meta">{{_('Configuration file')}}: <code>{{path}}</code>. {{_('Saving writes the changed keys into it (comments kept); each daemon reads it when it starts.')}}</p>
% else:
<p class="flash info" id="no-config-file">{{_('No configuration file: the daemons run on built-in defaults, so settings cannot be saved here.')}} {{!_('Branch IT starts the daemons with a configuration file ({options}); on the box it is').format(options=_('{a} or {b}').format(a='<code>--config</code>', b='<code>APPLIANCE_CONFIG</code>'))}} <code>{{box_config}}</code>.</p>
% end
% if file_error:
<p class="flash error" id="settings-file-error">{{_('The configuration file cannot be read; branch IT must repair it. Shown: the values in use.')}} {{file_error}}</p>
% end
% if pending:
<div class="card" id="settings-pending">
  <p>{{_('Changed in the file since this admin page started')}}: <code>{{', '.join(pending)}}</code>.</p>
  % if to_apply:
  <form method="post" action="/settings/apply" id="settings-apply">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <p>{{_('They take effect when these daemons restart:')}} {{', '.join(label for _d, label in to_apply)}}.</p>
    % for daemon, label in to_apply:
    <input type="hidden" name="daemon" value="{{daemon}}">
    % end
    <button type="submit" id="apply-now">{{_('Apply now (restart them)')}}</button>
  </form>
  % end
  % if manual:
  <p>{{_('Branch IT still does this by hand:')}}</p>
  <ul>
    % for label, command in manual:
    <li>{{label}}: <code>{{command}}</code></li>
    % end
  </ul>
  % end
</div>
% end
<div class="card" id="restarts" data-live="/settings/restarts.json">
  <h2>{{_('Daemons restarted from this page')}}</h2>
  <ul>
    % for row in restarts:
    <li data-daemon="{{row['name']}}"><b>{{row['label']}}</b>: <span class="restart {{row['state']}}" data-field="text">{{row['text']}}</span></li>
    % end
  </ul>
</div>
<script src="/static/restarts.js"></script>
% if editable:
<form method="post" action="/settings" id="settings-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <input type="hidden" name="version" value="{{version}}">
% else:
<div id="settings-form">
% end
  % for heading, fields in sections:
  <fieldset class="card">
    <h2>{{heading}}</h2>
    % for f in fields:
    <label>{{!f['help']}} <code class="muted">{{f['name']}}</code>
      % if f['secret']:
      <input type="password" name="{{f['name']}}" value="" autocomplete="new-password" inputmode="numeric" placeholder="{{_('unchanged (a value is set)') if f['is_set'] else _('unchanged (none set)')}}" {{'' if editable else 'disabled'}}>
      % elif f['kind'] == 'bool':
      <select name="{{f['name']}}" {{'' if editable else 'disabled'}}>
        <option value="true" {{'selected' if f['text'] == 'true' else ''}}>{{_('yes')}}</option>
        <option value="false" {{'selected' if f['text'] != 'true' else ''}}>{{_('no')}}</option>
      </select>
      % elif f['kind'] == 'elsewhere':
      <span class="value" id="operator-hours">{{f['text']}}</span> <a href="{{f['link']}}" id="operator-hours-link">{{f['link_text']}}</a>
      % elif f['kind'] == 'list':
      <textarea name="{{f['name']}}" rows="3" {{!'lang="en"' if f['text'].isascii() else ''}} {{'' if editable else 'disabled'}}>{{f['text']}}</textarea>
      % else:
      <input name="{{f['name']}}" value="{{f['text']}}" {{'' if editable else 'disabled'}}>
      % end
      <span class="muted">{{_('Restart')}}: {{f['restart']}}</span>
    </label>
    % if f['secret'] and f['is_set'] and editable:
    <label><input type="checkbox" name="{{f['name']}}.clear" value="1"> {{_('remove the value')}}</label>
    % end
    % end
  </fieldset>
  % end
% if editable:
  <button type="submit">{{_('Save')}}</button>
</form>
% else:
</div>
% end
<h2>{{_('Set by branch IT in the file')}}</h2>
<div class="table-scroll">
<table id="settings">
  <tr><th>{{_('Key')}}</th><th>{{_('Value')}}</th><th>{{_('Meaning')}}</th></tr>
  % for name, value, help in readonly:
  <tr><td><code>{{name}}</code></td><td><code>{{value}}</code></td><td class="muted">{{!help}}</td></tr>
  % end
</table>
</div>
