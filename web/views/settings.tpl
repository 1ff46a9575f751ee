% rebase('layout')
<p class="meta">{{_('Read from')}} {{path or _('built-in defaults')}}. {{_('Change them in the configuration file and restart the daemons.')}}</p>
<table id="settings">
  <tr><th>{{_('Key')}}</th><th>{{_('Value')}}</th><th>{{_('Meaning')}}</th></tr>
  % for name, value, help in rows:
  <tr><td><code>{{name}}</code></td><td>{{value}}</td><td class="muted">{{help}}</td></tr>
  % end
</table>
